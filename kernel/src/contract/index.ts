/**
 * The contract between the service kernel and the frontend: types only (see service.ts).
 */
export * from './flags';
export * from './run';
export * from './service';
