/** JSON values, as `JSON.parse` returns them and notebooks, records and messages hold them. */

export type JSONValue =
  string | number | boolean | null | JSONValue[] | { [key: string]: JSONValue };
export type JSONObject = { [key: string]: JSONValue };
