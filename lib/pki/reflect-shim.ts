/**
 * The smallest Reflect metadata API that @peculiar/x509's dependency tsyringe checks for at load
 * time ("tsyringe requires a reflect polyfill"). The project has no `reflect-metadata` package;
 * tsyringe only calls defineMetadata, getOwnMetadata and getMetadata, and @peculiar/x509 emits
 * no design-type metadata, so a WeakMap store is enough. Installed only when missing: if a real
 * polyfill is loaded first, it is used instead.
 */
type MetadataStore = Map<unknown, unknown>;

interface ReflectMetadataApi {
  defineMetadata(key: unknown, value: unknown, target: object, property?: string | symbol): void;
  getOwnMetadata(key: unknown, target: object, property?: string | symbol): unknown;
  getMetadata(key: unknown, target: object, property?: string | symbol): unknown;
  hasMetadata(key: unknown, target: object, property?: string | symbol): boolean;
}

const reflect = Reflect as unknown as Partial<ReflectMetadataApi>;

if (typeof reflect.getMetadata !== 'function') {
  const stores = new WeakMap<object, Map<string | symbol | undefined, MetadataStore>>();
  const store = (target: object, property: string | symbol | undefined, create: boolean): MetadataStore | undefined => {
    let byProperty = stores.get(target);
    if (!byProperty) {
      if (!create) return undefined;
      byProperty = new Map();
      stores.set(target, byProperty);
    }
    let metadata = byProperty.get(property);
    if (!metadata && create) {
      metadata = new Map();
      byProperty.set(property, metadata);
    }
    return metadata;
  };
  const api: ReflectMetadataApi = {
    defineMetadata(key, value, target, property) {
      store(target, property, true)?.set(key, value);
    },
    getOwnMetadata(key, target, property) {
      return store(target, property, false)?.get(key);
    },
    getMetadata(key, target, property) {
      // Inherited lookup along the prototype chain, as reflect-metadata does.
      for (let t: object | null = target; t !== null; t = Object.getPrototypeOf(t) as object | null) {
        const metadata = store(t, property, false);
        if (metadata?.has(key)) return metadata.get(key);
      }
      return undefined;
    },
    hasMetadata(key, target, property) {
      return api.getMetadata(key, target, property) !== undefined;
    },
  };
  for (const [name, fn] of Object.entries(api)) {
    Object.defineProperty(Reflect, name, { value: fn, configurable: true, writable: true });
  }
}

export {};
