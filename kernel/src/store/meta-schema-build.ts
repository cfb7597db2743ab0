/**
 * Build step (`npm run build:kernel`, after tsc): writes the compiled validator of
 * `meta.json`'s schema (and the project file's) next to the build, so that reading a
 * record loads no ajv.
 */
import { writeValidator } from '../base/json-schema';
import { META_VALIDATOR, RUN_META_SCHEMA } from './meta-schema';
import { PROJECT_SCHEMAS } from './project-file';

writeValidator(META_VALIDATOR, RUN_META_SCHEMA);
for (const [name, schema] of Object.entries(PROJECT_SCHEMAS)) {
  writeValidator(name, schema);
}
