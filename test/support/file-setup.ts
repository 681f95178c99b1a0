import { afterAll } from 'vitest';
import { stopFileDynamo } from './file-dynamo.js';

// Runs before each test file: registers, first, the hook that stops the file's DynamoDB Local last.
afterAll(stopFileDynamo);
