// How Calico names a policy in its v3 API and in the crd.projectcalico.org objects that store it
// (facts §6.2): the default tier's policies are stored as `default.<name>`, another tier's
// policies are named `<tier>.<name>` in both.

/**
 * The name the v3 API shows for a CRD name: the default tier's `default.` storage prefix is
 * dropped; another tier's prefix is part of the v3 name too (`security.allow-dns`).
 */
export function v3Name(crdName: string): string {
  return crdName.startsWith('default.') ? crdName.slice('default.'.length) : crdName
}

/** A v3 name `foo` is stored as `foo`, `default.foo` or `<tier>.foo` in the CRD. */
export function namesMatch(v3: string | null, crd: string | null): boolean {
  if (v3 === null || crd === null) return true
  return crd === v3 || crd.endsWith(`.${v3}`)
}
