import assert from 'node:assert/strict'

import {sanitize} from '../../src/render/sanitize.js'

describe('sanitize', () => {
  const cases: Array<[string, string, string]> = [
    ['plain text', 'alice@corp.com', 'alice@corp.com'],
    ['a colour escape', 'red\u001b[31mALERT\u001b[0m', 'redALERT'],
    ['a title-setting OSC', 'x\u001b]0;pwned\u0007y', 'xy'],
    ['a cursor move', 'a\u001b[2Ab', 'ab'],
    ['a bare ESC and BEL', 'a\u001bb\u0007', 'a\\x1bb\\x07'],
    ['CR and newline', 'line1\r\nline2', 'line1\\x0d\\x0aline2'],
    ['C1 CSI', 'a\u009b31mb', 'ab'],
    ['bidi override', 'user\u202Etxt.exe', 'user\\u202etxt.exe'],
    ['non-ASCII letters stay', 'José Müller', 'José Müller'],
    ['zero-width space, joiners and marks', 'a\u200bb\u200cc\u200dd\u200ee\u200ff', 'a\\u200bb\\u200cc\\u200dd\\u200ee\\u200ff'],
    ['word joiner and invisible operators', 'a\u2060b\u2064c', 'a\\u2060b\\u2064c'],
    ['a byte-order mark inside text', 'ali\ufeffce', 'ali\\ufeffce'],
    ['line and paragraph separators', 'a\u2028b\u2029c', 'a\\u2028b\\u2029c'],
  ]
  for (const [title, input, expected] of cases) it(title, () => assert.equal(sanitize(input), expected))
})
