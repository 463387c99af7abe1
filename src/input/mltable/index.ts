/** MLTable: the model, the parser and the loader (see each module). */
export * from './model.js';
export { parseMLTable, type ParsedMLTable, type PathEntry } from './parse-mltable.js';
export { loadMLTable, MLTABLE_FILE_NAME } from './load-mltable.js';
