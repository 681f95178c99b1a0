// Runs before each test file: registers, first, the hook that stops the file's DynamoDB Local last.
import './file-dynamo.js';
