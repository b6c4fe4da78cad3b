// -o json and -o yaml: the report itself, the command's versioned contract.

/** Writes the document when the format is json or yaml and returns true; false for table formats. */
export async function writeDocument(out: NodeJS.WritableStream, format: string, document: unknown): Promise<boolean> {
  if (format === 'json') out.write(JSON.stringify(document, null, 2) + '\n')
  else if (format === 'yaml') out.write((await import('yaml')).stringify(document))
  else return false
  return true
}
