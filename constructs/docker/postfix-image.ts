import { Image } from '@cdktf/provider-docker/lib/image';
import { AssetType, TerraformAsset } from 'cdktf';
import { Construct } from 'constructs';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { PostfixVersion } from '../enums';
import { checked, constructError, oneOf } from '../errors';

/** The package's docker/ directory, found from this file whether it runs from source or from the build. */
function shippedDockerContext(): string {
  for (let directory = __dirname; ; directory = dirname(directory)) {
    if (existsSync(join(directory, 'package.json')) && existsSync(join(directory, 'docker', 'Dockerfile'))) return join(directory, 'docker');
    if (dirname(directory) === directory) throw new Error(`postfix-tls-cdktf: no docker/Dockerfile above ${__dirname}; the package is incomplete`);
  }
}

/** The directory with the shipped Dockerfile (Debian trixie-slim or bookworm-slim, postfix, postfix-lmdb, openssl). */
export const DOCKER_CONTEXT = shippedDockerContext();

const IMAGE_REFERENCE = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

/** Tag of the image built from the shipped Dockerfile for the default release (Debian 13, Postfix 3.10). */
export const DEFAULT_IMAGE_NAME = 'postfix-tls-cdktf:trixie';

/** Props of a `PostfixImage`. */
export interface PostfixImageProps {
  /**
   * Name of an existing image to use instead of building the shipped Dockerfile. It must provide the same
   * entrypoint contract (see docker/README.md).
   * @default - build the shipped Dockerfile as `postfix-tls-cdktf:trixie` (`:bookworm` for Postfix 3.7)
   */
  readonly existingImageName?: string;
  /**
   * The Postfix release of the image: the shipped Dockerfile is built on Debian 12 (3.7) or Debian 13 (3.10);
   * for an existing image, the release it runs. Servers in its containers must target the same release.
   * @default PostfixVersion.V3_10
   */
  readonly postfixVersion?: PostfixVersion;
}

/** The shipped image per release: its tag and Debian base. */
const SHIPPED_IMAGES: Readonly<Record<PostfixVersion, { readonly name: string; readonly baseImage: string }>> = {
  [PostfixVersion.V3_7]: { name: 'postfix-tls-cdktf:bookworm', baseImage: 'debian:bookworm-slim' },
  [PostfixVersion.V3_10]: { name: DEFAULT_IMAGE_NAME, baseImage: 'debian:trixie-slim' },
};

function contextDigest(directory: string): string {
  const hash = createHash('sha256');
  for (const name of readdirSync(directory).sort()) {
    hash.update(name).update('\0').update(readFileSync(join(directory, name))).update('\0');
  }
  return hash.digest('hex');
}

/** The Docker image Postfix containers run; rebuilt when the shipped docker/ directory changes. */
export class PostfixImage extends Construct {
  /** Image reference for containers (the image id once built). */
  public readonly imageRef: string;
  /** The Postfix release the image runs. */
  public readonly postfixVersion: PostfixVersion;

  constructor(scope: Construct, id: string, props: PostfixImageProps = {}) {
    super(scope, id);
    if (props.existingImageName !== undefined && !IMAGE_REFERENCE.test(props.existingImageName)) {
      throw constructError(this, `existingImageName ${JSON.stringify(props.existingImageName)} is not an image reference (e.g. registry.example.com/postfix:1.2)`);
    }
    this.postfixVersion = checked(this, () => oneOf('postfixVersion', props.postfixVersion ?? PostfixVersion.V3_10, PostfixVersion));
    const shipped = SHIPPED_IMAGES[this.postfixVersion];
    // The build context is copied into the stack's output as an asset and named relative to it, so
    // cdk.tf.json does not depend on where node_modules lives.
    const image = props.existingImageName
      ? new Image(this, 'Image', { name: props.existingImageName, keepLocally: true })
      : new Image(this, 'Image', {
          name: shipped.name,
          keepLocally: true,
          buildAttribute: {
            context: new TerraformAsset(this, 'Context', { path: DOCKER_CONTEXT, type: AssetType.DIRECTORY }).path,
            networkMode: 'host',
            // The Dockerfile's default base is trixie: only another release passes its base.
            ...(this.postfixVersion === PostfixVersion.V3_10 ? {} : { buildArgs: { BASE_IMAGE: shipped.baseImage } }),
          },
          triggers: { docker_context_sha256: contextDigest(DOCKER_CONTEXT) },
        });
    this.imageRef = image.imageId;
  }
}
