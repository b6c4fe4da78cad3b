// -o json and -o yaml: the report itself, the command's versioned contract. Strings keep their
// values, but characters that could drive a terminal are written as escapes, so a report shown
// with `cat` cannot move the cursor, retitle the window or reorder text.
import {writeChunks} from './output.js'
import {escapeUnsafeInDocument, needsYamlEscape} from './sanitize.js'

/** Writes the document when the format is json or yaml and returns true; false for table formats. */
export async function writeDocument(out: NodeJS.WritableStream, format: string, document: unknown): Promise<boolean> {
  if (format === 'json') out.write(toJson(document))
  else if (format === 'yaml') out.write(await toYaml(document))
  else return false
  return true
}

/**
 * Like writeDocument, for a document whose last field is a list given as a stream: the list is
 * written as it comes, never held whole, and the text is the one the whole document would give.
 */
export async function writeStreamedDocument(
  out: NodeJS.WritableStream,
  format: string,
  head: object,
  listKey: string,
  items: Iterable<unknown>,
): Promise<boolean> {
  if (format === 'json') await writeChunks(out, jsonChunks(head, listKey, items))
  else if (format === 'yaml') await writeChunks(out, yamlChunks(await yamlRenderer(), head, listKey, items))
  else return false
  return true
}

export function toJson(document: unknown): string {
  // JSON.stringify escapes C0 controls; the others can only be inside strings, where \uNNNN keeps them.
  return escapeUnsafeInDocument(JSON.stringify(document, null, 2), 'json') + '\n'
}

export async function toYaml(document: unknown): Promise<string> {
  return (await yamlRenderer())(document)
}

/** How toYaml renders a document, once the YAML library is loaded. */
export async function yamlRenderer(): Promise<(document: unknown) => string> {
  const yaml = await import('yaml')
  return (document) => {
    const doc = new yaml.Document(document)
    // Only double-quoted scalars have escapes: put every string that needs one (key or value) there.
    yaml.visit(doc, {
      Scalar(_key, node) {
        if (typeof node.value === 'string' && needsYamlEscape(node.value)) node.type = 'QUOTE_DOUBLE'
      },
    })
    return escapeUnsafeInDocument(doc.toString(), 'yaml')
  }
}

/** The document's JSON as toJson gives it, in pieces: the list's items are indented two levels down. */
export function* jsonChunks(head: object, listKey: string, items: Iterable<unknown>): Generator<string> {
  const empty = JSON.stringify({...head, [listKey]: []}, null, 2)
  const opening = empty.slice(0, -'[]\n}'.length)
  let first = true
  for (const item of items) {
    const text = '    ' + JSON.stringify(item, null, 2).replaceAll('\n', '\n    ')
    yield escapeUnsafeInDocument(first ? `${opening}[\n${text}` : `,\n${text}`, 'json')
    first = false
  }
  yield first ? escapeUnsafeInDocument(empty, 'json') + '\n' : '\n  ]\n}\n'
}

/** Items rendered at a time in YAML: a document per item costs more than the item. */
const YAML_BATCH = 256

/**
 * The document's YAML as toYaml gives it, in pieces: each batch of items is rendered under the
 * same key, so indentation and folding are the same, and the key's line is dropped.
 */
export function* yamlChunks(
  render: (document: unknown) => string,
  head: object,
  listKey: string,
  items: Iterable<unknown>,
): Generator<string> {
  const empty = render({...head, [listKey]: []})
  const emptyList = `${listKey}: []\n`
  if (!empty.endsWith(emptyList)) throw new Error(`the YAML of the report does not end with its ${listKey}`)
  let batch: unknown[] = []
  let first = true
  const flush = (): string => {
    const text = render({[listKey]: batch})
    batch = []
    const body = text.slice(text.indexOf('\n') + 1)
    const opening = first ? `${empty.slice(0, -emptyList.length)}${listKey}:\n` : ''
    first = false
    return opening + body
  }
  for (const item of items) {
    batch.push(item)
    if (batch.length >= YAML_BATCH) yield flush()
  }
  if (batch.length > 0) yield flush()
  if (first) yield empty
}
