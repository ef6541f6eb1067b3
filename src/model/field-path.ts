/**
 * Field lookup shared by match, window and alert: `http.response.status_code`
 * resolves either a literal dotted key (ECS flattened) or a nested path.
 * A literal key always wins over the nested interpretation.
 */
export type FieldGetter = (fields: Readonly<Record<string, unknown>>) => unknown;

const own = Object.prototype.hasOwnProperty;

/**
 * A getter for one plain key. Generated per key (`new Function`, the key embedded as a JSON
 * string literal, never as code): each getter then has its own inline cache and reads a named
 * property of the few record shapes it meets, instead of one shared closure whose keyed load
 * sees every key of every pattern (megamorphic; issue 4 measured the matcher's getters among
 * the costs that grow with the number of patterns). A key that Object.prototype does not have
 * can only be an own property or absent on a record (JSON.parse objects, decoder records), so no
 * hasOwnProperty call is needed; keys such as `constructor` keep the own-property check.
 */
function plainKeyGetter(path: string): FieldGetter {
  if (path in Object.prototype) return (f) => (own.call(f, path) ? f[path] : undefined);
  return new Function(`return (f) => f[${JSON.stringify(path)}];`)() as FieldGetter;
}

export function compileFieldPath(path: string): FieldGetter {
  if (!path.includes('.')) return plainKeyGetter(path);
  const parts = path.split('.');
  return (f) => {
    if (own.call(f, path)) return f[path];
    return walk(f, parts, 0);
  };
}

/** Walks `parts[i..]`, trying at each level the longest literal dotted key first. */
function walk(obj: unknown, parts: readonly string[], i: number): unknown {
  if (i === parts.length) return obj;
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return undefined;
  const rec = obj as Record<string, unknown>;
  for (let j = parts.length; j > i; j--) {
    const key = j - i === 1 ? parts[i]! : parts.slice(i, j).join('.');
    if (own.call(rec, key)) {
      const v = walk(rec[key], parts, j);
      if (v !== undefined) return v;
    }
  }
  return undefined;
}

export function getField(fields: Readonly<Record<string, unknown>>, path: string): unknown {
  return compileFieldPath(path)(fields);
}
