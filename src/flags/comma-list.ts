// Repeatable flags that also take comma lists: `--verb patch,delete --verb create`.
export function commaList(values: readonly string[] | undefined): string[] {
  return (values ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '')
}
