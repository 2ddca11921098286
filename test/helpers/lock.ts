import postgres from 'postgres';

export interface HeldLock {
  /** Lets the lock go and closes its connection; safe to call again (in a `finally`, say). */
  release(): Promise<void>;
}

/**
 * Takes `lock table <table> in <mode> mode` on a connection of its own and holds it until
 * released, so that requests needing the table wait meanwhile (Postgres only).
 */
export async function holdTableLock(url: string, table: string, mode: string): Promise<HeldLock> {
  const blocker = postgres(url, { max: 1, onnotice: () => {} });
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let locked!: () => void;
  const isLocked = new Promise<void>((resolve) => (locked = resolve));
  const holding = blocker.begin(async (sql) => {
    await sql.unsafe(`lock table ${table} in ${mode} mode`);
    locked();
    await released;
  });
  await Promise.race([isLocked, holding]);
  return {
    async release() {
      release();
      await holding;
      await blocker.end();
    },
  };
}
