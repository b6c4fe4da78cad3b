// -o json and -o yaml: the report itself, the command's versioned contract. Strings keep their
// values, but characters that could drive a terminal are written as escapes, so a report shown
// with `cat` cannot move the cursor, retitle the window or reorder text.
import {escapeUnsafeInDocument, needsYamlEscape} from './sanitize.js'

/** Writes the document when the format is json or yaml and returns true; false for table formats. */
export async function writeDocument(out: NodeJS.WritableStream, format: string, document: unknown): Promise<boolean> {
  if (format === 'json') out.write(toJson(document))
  else if (format === 'yaml') out.write(await toYaml(document))
  else return false
  return true
}

export function toJson(document: unknown): string {
  // JSON.stringify escapes C0 controls; the others can only be inside strings, where \uNNNN keeps them.
  return escapeUnsafeInDocument(JSON.stringify(document, null, 2), 'json') + '\n'
}

export async function toYaml(document: unknown): Promise<string> {
  const yaml = await import('yaml')
  const doc = new yaml.Document(document)
  // Only double-quoted scalars have escapes: put every string that needs one (key or value) there.
  yaml.visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && needsYamlEscape(node.value)) node.type = 'QUOTE_DOUBLE'
    },
  })
  return escapeUnsafeInDocument(doc.toString(), 'yaml')
}
