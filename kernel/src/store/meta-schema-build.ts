/**
 * Build step (`npm run build:kernel`, after tsc): writes the compiled validator of
 * `meta.json`'s schema next to the build, so that reading a record loads no ajv.
 */
import { writeValidator } from '../base/json-schema';
import { META_VALIDATOR, RUN_META_SCHEMA } from './meta-schema';

writeValidator(META_VALIDATOR, RUN_META_SCHEMA);
