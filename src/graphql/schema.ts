import { builder } from './builder.js';
import { boundListResolution } from './work.js';
import './planes.js';
import '../modules/owners/graphql.js';
import '../modules/api-keys/graphql.js';
import '../modules/users/graphql.js';
import '../modules/organizations/graphql.js';
import '../modules/viewer/graphql.js';
import '../modules/audit/graphql.js';
import '../modules/algorithms/graphql.js';

export const schema = boundListResolution(builder.toSchema({ sortSchema: true }));
