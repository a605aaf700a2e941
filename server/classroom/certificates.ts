import { generateKeyPairSync, sign, verify } from 'node:crypto';
import type { Certificate, ClassroomStore } from '../lab/store/types.ts';

/** A module's graded exercises: every exercise of every lab in it that this server can grade. */
export type ModuleExercises = Map<string, Array<{ lab: string; exercise: string }>>;

interface LabExercises {
  id: string;
  module: string;
  /** Where the lab runs. */
  backends: readonly string[];
  /** Each exercise, with where it can be graded when narrower than the lab. */
  exercises: Array<{ id: string; backends?: readonly string[] }>;
}

/**
 * The exercises a certificate needs, per module. An exercise graded only on a backend this server
 * lacks (kind-only attacks on an embedded-only server) cannot be passed here, so it is not required;
 * a module left with none issues no certificate.
 */
export function moduleExercises(labs: Iterable<LabExercises>, available: ReadonlySet<string>): ModuleExercises {
  const modules: ModuleExercises = new Map();
  for (const lab of labs) {
    const list = modules.get(lab.module) ?? [];
    for (const exercise of lab.exercises)
      if ((exercise.backends ?? lab.backends).some((b) => available.has(b)))
        list.push({ lab: lab.id, exercise: exercise.id });
    modules.set(lab.module, list);
  }
  return modules;
}

function signed(c: Certificate): Buffer {
  return Buffer.from(
    `k8s-security-course certificate v1\n${c.id}\n${c.accountId}\n${c.module}\n${c.name}\n${c.issuedAt}`,
  );
}

/**
 * Certificates: issued when an account has passed every graded exercise of a module, and
 * verified by an id that carries an Ed25519 signature with the server's key (kept in the
 * store, so every replica signs and verifies alike). A changed id or signature does not verify.
 */
export class Certificates {
  private readonly store: ClassroomStore;
  private readonly modules: ModuleExercises;
  private key?: Promise<{ privatePem: string; publicPem: string }>;

  constructor(store: ClassroomStore, modules: ModuleExercises) {
    this.store = store;
    this.modules = modules;
  }

  /** Issues certificates as progress comes in; returns the unsubscribe function. */
  watch(): () => void {
    return this.store.onProgress((learnerId) => {
      this.consider(learnerId).catch((error: unknown) =>
        console.error(JSON.stringify({ level: 'error', msg: 'certificate issue failed', error: String(error) })),
      );
    });
  }

  private serverKey() {
    return (this.key ??= this.store.serverKey('certificates-ed25519', () => {
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      return {
        privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      };
    }));
  }

  /** Issues what the learner's account has earned (anonymous learners earn none); returns the new or existing ones. */
  async consider(learnerId: string): Promise<Certificate[]> {
    const account = await this.store.accountByLearnerId(learnerId);
    if (!account) return [];
    const passed = new Set(
      (await this.store.progressFor(learnerId)).filter((p) => p.passed).map((p) => `${p.lab}/${p.exercise}`),
    );
    const earned: Certificate[] = [];
    for (const [module, exercises] of this.modules) {
      if (exercises.length === 0 || !exercises.every((e) => passed.has(`${e.lab}/${e.exercise}`))) continue;
      earned.push(await this.store.issueCertificate({ accountId: account.id, module, name: account.username }));
    }
    return earned;
  }

  /** The id to print on the certificate and put in its verification URL. */
  async verificationId(c: Certificate): Promise<string> {
    const { privatePem } = await this.serverKey();
    return `${c.id}.${sign(null, signed(c), privatePem).toString('base64url')}`;
  }

  /** The certificate a verification id names, when its signature holds; undefined otherwise. */
  async verify(verificationId: string): Promise<Certificate | undefined> {
    const m = /^([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{86})$/.exec(verificationId);
    if (!m) return undefined;
    const c = await this.store.certificateById(m[1]!);
    if (!c) return undefined;
    const { publicPem } = await this.serverKey();
    return verify(null, signed(c), publicPem, Buffer.from(m[2]!, 'base64url')) ? c : undefined;
  }
}
