import { aliasesGroup } from './aliases.js';
import { exportImportGroup } from './export-import.js';
import type { RegistryCaseGroup } from './group.js';
import { namesGroup } from './names.js';
import { promptsConcurrencyGroup } from './prompts-concurrency.js';
import { registeredModelsGroup } from './registered-models.js';
import { searchErrorsGroup } from './search-errors.js';
import { searchGroup } from './search.js';
import { stagesGroup } from './stages.js';
import { tagsGroup } from './tags.js';
import { versionParsingGroup } from './version-parsing.js';
import { versionsGroup } from './versions.js';

/** Every group of the model-registry kit, in run order. */
export const registryCaseGroups: RegistryCaseGroup[] = [
  registeredModelsGroup,
  namesGroup,
  tagsGroup,
  versionsGroup,
  versionParsingGroup,
  stagesGroup,
  aliasesGroup,
  searchGroup,
  searchErrorsGroup,
  promptsConcurrencyGroup,
  exportImportGroup,
];
