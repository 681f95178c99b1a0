import { catalogJobTypes } from '../catalog/catalog-jobs.js';
import { registerJobType } from './job-runner.js';
import { addToListJob, tagContactsJob } from './types/bulk-membership.js';
import { deleteContactsJob } from './types/delete-contacts.js';
import { exportContactsJob } from './types/export-contacts.js';
import { importContactsJob } from './types/import-contacts.js';
import { restoreContactsJob } from './types/restore-contacts.js';

/** Every job type the worker runs; importing this module registers them. */
for (const type of [deleteContactsJob, restoreContactsJob, importContactsJob, exportContactsJob, tagContactsJob, addToListJob, ...catalogJobTypes]) registerJobType(type);
