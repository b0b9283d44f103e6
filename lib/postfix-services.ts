import type { MasterService } from './master-cf';

/**
 * The internal services of Debian's Postfix 3.7 master.cf that a working instance needs. Optional pipe
 * transports of packages the image does not ship (maildrop, uucp, ...) are left out. `chroot` follows the
 * server's choice; Debian chroots the ones marked here.
 */
const DEBIAN_SERVICES: readonly (MasterService & { readonly debianChroot: boolean })[] = [
  { name: 'pickup', type: 'unix', private: false, wakeup: '60', maxProcesses: 1, command: 'pickup', debianChroot: true },
  { name: 'cleanup', type: 'unix', private: false, maxProcesses: 0, command: 'cleanup', debianChroot: true },
  { name: 'qmgr', type: 'unix', private: false, wakeup: '300', maxProcesses: 1, command: 'qmgr', debianChroot: false },
  { name: 'tlsmgr', type: 'unix', wakeup: '1000?', maxProcesses: 1, command: 'tlsmgr', debianChroot: true },
  { name: 'rewrite', type: 'unix', command: 'trivial-rewrite', debianChroot: true },
  { name: 'bounce', type: 'unix', maxProcesses: 0, command: 'bounce', debianChroot: true },
  { name: 'defer', type: 'unix', maxProcesses: 0, command: 'bounce', debianChroot: true },
  { name: 'trace', type: 'unix', maxProcesses: 0, command: 'bounce', debianChroot: true },
  { name: 'verify', type: 'unix', maxProcesses: 1, command: 'verify', debianChroot: true },
  { name: 'flush', type: 'unix', private: false, wakeup: '1000?', maxProcesses: 0, command: 'flush', debianChroot: true },
  { name: 'proxymap', type: 'unix', command: 'proxymap', debianChroot: false },
  { name: 'proxywrite', type: 'unix', maxProcesses: 1, command: 'proxymap', debianChroot: false },
  { name: 'smtp', type: 'unix', command: 'smtp', debianChroot: true },
  { name: 'relay', type: 'unix', command: 'smtp', overrides: [{ name: 'syslog_name', value: 'postfix/$service_name' }], debianChroot: true },
  { name: 'showq', type: 'unix', private: false, command: 'showq', debianChroot: true },
  { name: 'error', type: 'unix', command: 'error', debianChroot: true },
  { name: 'retry', type: 'unix', command: 'error', debianChroot: true },
  { name: 'discard', type: 'unix', command: 'discard', debianChroot: true },
  { name: 'local', type: 'unix', unprivileged: false, command: 'local', debianChroot: false },
  { name: 'virtual', type: 'unix', unprivileged: false, command: 'virtual', debianChroot: false },
  { name: 'lmtp', type: 'unix', command: 'lmtp', debianChroot: true },
  { name: 'anvil', type: 'unix', maxProcesses: 1, command: 'anvil', debianChroot: true },
  { name: 'scache', type: 'unix', maxProcesses: 1, command: 'scache', debianChroot: true },
  { name: 'postlog', type: 'unix-dgram', private: false, maxProcesses: 1, command: 'postlogd', debianChroot: false },
];

/** Postfix's internal services with the chroot column set for this server. */
export function internalServices(chroot: boolean): MasterService[] {
  return DEBIAN_SERVICES.map(({ debianChroot, ...service }) => ({ ...service, chroot: chroot && debianChroot }));
}
