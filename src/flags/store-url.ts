// A log store's URL as given on the command line (--es, --loki): with its scheme, and without
// credentials, which belong in the environment where process listings and shell history miss them.
import {UserError} from '../errors.js'

export interface StoreUrlWording {
  /** The flag, e.g. `--es`. */
  readonly flag: string
  /** An example base URL's scheme and default host:port, e.g. `https://` and `HOST:9200`. */
  readonly scheme: string
  readonly hostPort: string
  /** Whose base URL, for the hint: `the store's`, `Loki's`. */
  readonly whose: string
  /** The environment variables that hold the credentials instead. */
  readonly credentialVars: string
}

/** The parsed URL; the caller decides what its path may be. */
export function storeUrl(text: string, wording: StoreUrlWording): URL {
  const {flag, scheme, hostPort, whose, credentialVars} = wording
  const trimmed = text.trim()
  let url: URL | undefined
  try {
    url = new URL(trimmed)
  } catch {
    url = undefined
  }
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.hostname === '') {
    throw new UserError(`${flag} "${text}" is not an http(s) URL`, {
      hint: `write it with its scheme, e.g. ${scheme}${trimmed.replace(/^[a-z]+:\/\//i, '') || hostPort}`,
    })
  }
  if (url.username !== '' || url.password !== '') {
    throw new UserError(
      `${flag} has credentials in it: anyone who can list processes or read the shell history sees them`,
      {
        hint: `drop them from the URL, and set ${credentialVars} instead`,
      },
    )
  }
  if (url.search !== '' || url.hash !== '')
    throw new UserError(`${flag} "${text}" has a query or fragment`, {
      hint: `give ${whose} base URL, e.g. ${scheme}${hostPort}`,
    })
  return url
}
