// Help values that say what kind of value a flag takes. `--help` shows them (`--kubeconfig=FILE`),
// and the shell completion generated from oclif.manifest.json reads them: it offers file names for a
// FILE flag only, and nothing for the other free-form values (durations, names, namespaces).

/** A path on this machine. */
export const FILE_VALUE = 'FILE'
