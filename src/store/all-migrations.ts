import type { Migration } from './database.js';
import { storeMigrations } from './migrations.js';
import { hotlistMigrations } from '../hotlist/migrations.js';
import { alertMigrations } from '../alerts/migrations.js';
import { policyMigrations } from '../policy/migrations.js';
import { syncMigrations } from '../sync/migrations.js';
import { fieldtestMigrations } from '../fieldtest/migrations.js';

/**
 * Every module's migrations. A module that owns tables adds its list here; each module numbers
 * its own versions, so modules never collide.
 */
export const allMigrations: Migration[] = [
  ...storeMigrations,
  ...policyMigrations,
  ...hotlistMigrations,
  ...alertMigrations,
  ...syncMigrations,
  ...fieldtestMigrations,
];
