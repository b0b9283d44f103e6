import fc from 'fast-check';

// Property tests run with a fixed seed so a CI run can be reproduced; PROPERTY_SEED explores others.
fc.configureGlobal({ seed: Number(process.env.PROPERTY_SEED ?? 20251125) });
