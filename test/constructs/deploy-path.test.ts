/** How local files are named in cdk.tf.json: portable where that is safe, absolute where it must be. */
import { App, TerraformStack, Testing } from 'cdktf';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { deployPath } from '../../constructs/deploy-path';

const inProject = resolve('.pki', 'mx.key.pem');
mkdirSync(resolve('.scratch'), { recursive: true });

describe('deployPath', () => {
  test('a project file, outdir in the project: relative to the stack directory Terraform runs in', () => {
    const stack = new TerraformStack(new App({ outdir: 'cdktf.out' }), 'mail');
    expect(deployPath(stack, inProject)).toBe('../../../.pki/mx.key.pem');
    const scratch = mkdtempSync(join(resolve('.scratch'), 'deploy-path-'));
    try {
      const nested = new TerraformStack(new App({ outdir: join(scratch, 'out') }), 'mail');
      expect(deployPath(nested, '.pki/mx.key.pem')).toBe('../../../../../.pki/mx.key.pem');
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  test('a file outside the project keeps its absolute path', () => {
    const stack = new TerraformStack(new App({ outdir: 'cdktf.out' }), 'mail');
    expect(deployPath(stack, '/etc/letsencrypt/live/mx/privkey.pem')).toBe('/etc/letsencrypt/live/mx/privkey.pem');
  });

  test('an outdir outside the project: absolute, since Terraform runs there', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'deploy-path-'));
    try {
      const stack = new TerraformStack(new App({ outdir }), 'mail');
      expect(deployPath(stack, inProject)).toBe(inProject);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  test('a cdktf Testing app (temporary outdir, never deployed): as for the default outdir, so snapshots are portable', () => {
    const stack = new TerraformStack(Testing.app(), 'mail');
    expect(deployPath(stack, inProject)).toBe('../../../.pki/mx.key.pem');
  });
});
