/** Certificates, keys and parameters for Postfix TLS: pure helpers, no cdktf/constructs. */
export * from './pem';
export * from './subject-hash';
export * from './fingerprint';
export * from './purpose';
export * from './check';
export * from './local-pki';
export * from './dh';
export { x509 } from './x509';
export { DerError } from './der';
