/** The SQL source against the real postgres on 127.0.0.1 (see scenarios.ts). */
import { defineSqlScenarios } from './scenarios.js';

defineSqlScenarios('postgres');
