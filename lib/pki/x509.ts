/**
 * @peculiar/x509, loaded the way this package needs it: after reflect-metadata, which its
 * dependency tsyringe insists on, and with node's WebCrypto as its crypto provider (it signs
 * through WebCrypto). Import x509 from here, never from '@peculiar/x509' directly.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };
