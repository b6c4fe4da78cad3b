// What the bundle gets in place of an optional module it leaves out (see bundle.ts).
throw Object.assign(new Error('not bundled'), {code: 'MODULE_NOT_FOUND'})
