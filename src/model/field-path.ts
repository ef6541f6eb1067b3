/**
 * Field lookup shared by match, window and alert: `http.response.status_code`
 * resolves either a literal dotted key (ECS flattened) or a nested path.
 * A literal key always wins over the nested interpretation.
 */
export type FieldGetter = (fields: Readonly<Record<string, unknown>>) => unknown;

const own = Object.prototype.hasOwnProperty;

export function compileFieldPath(path: string): FieldGetter {
  if (!path.includes('.')) {
    return (f) => (own.call(f, path) ? f[path] : undefined);
  }
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
