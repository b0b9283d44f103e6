import { DefaultTokenResolver, StringConcat, Token, Tokenization } from 'cdktf';
import { IConstruct } from 'constructs';
import { refusePrivateKey } from '../lib/pki/pem';
import { checked, constructError } from './errors';

/**
 * PEM props that may be deploy-time values. A token is inspected as the Terraform expression it stands for:
 * a function call (`Fn.trimspace`, `Fn.join`, ...) or a literal around a reference can carry a literal key
 * into the synthesized JSON. A reference to a resource or data source attribute:
 */
const REFERENCE = /\$\{(?:data\.)?[A-Za-z_][\w-]*\.[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*|\[\d+\]|\["[\w.-]+"\])*\}/g;

/** The expression a value resolves to in `scope`; not preparing, so no cross-stack output is created. */
function expressionOf(scope: IConstruct, value: string): string {
  return String(Tokenization.resolve(value, { scope, preparing: false, resolver: new DefaultTokenResolver(new StringConcat()) }));
}

/**
 * Checks a PEM prop that only holds public material (certificates, CAs): no private key block in its text,
 * nor in the expression a deploy-time value stands for (a literal inside `Fn.trimspace(...)`), and no
 * reference to a private key attribute.
 */
export function publicPem(scope: IConstruct, what: string, value: string, fix: string): string {
  const expression = Token.isUnresolved(value) ? expressionOf(scope, value) : value;
  checked(scope, () => refusePrivateKey(what, expression, fix));
  const keyReference = expression.match(REFERENCE)?.find((r) => /private_key/i.test(r));
  if (keyReference) throw constructError(scope, `${what} references ${keyReference}, a private key, which would be uploaded as public file content: ${fix}`);
  return value;
}

/** Checks a deploy-time private key prop: exactly one reference to a resource attribute, nothing around it. */
export function privateKeyReference(scope: IConstruct, what: string, value: string): string {
  const expression = Token.isUnresolved(value) ? expressionOf(scope, value) : undefined;
  if (expression === undefined || expression.match(REFERENCE)?.[0] !== expression) {
    throw constructError(
      scope,
      `${what} must be a reference to a private key resource attribute (e.g. tls_private_key's privateKeyPem), with no literal text or function call around it: a literal key would be written into cdk.tf.json. Use ServerCertificate.fromFiles for keys on disk`,
    );
  }
  return value;
}
