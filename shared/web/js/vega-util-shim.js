// vega-interpreter imports these from 'vega-util'; the vega build already exposes them.
const v = globalThis.vega;
export const ascending = v.ascending;
export const isString = v.isString;
export const DisallowedObjectProperties = v.DisallowedObjectProperties;
