import dataSource from '../ormconfig.js';

/** npm run migrate | migrate:revert — as the owner role. */
async function main(): Promise<void> {
  const direction = process.argv[2] ?? 'up';
  await dataSource.initialize();
  try {
    if (direction === 'down') {
      await dataSource.undoLastMigration({ transaction: 'each' });
      console.log('reverted the last migration');
    } else {
      const ran = await dataSource.runMigrations({ transaction: 'each' });
      console.log(ran.length ? `applied: ${ran.map((m) => m.name).join(', ')}` : 'no pending migrations');
    }
  } finally {
    await dataSource.destroy();
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
