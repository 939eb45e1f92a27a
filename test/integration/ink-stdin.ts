// The fake stdin lives with the other Ink test helpers.
export { FakeStdin } from '../helpers/ink.js';
