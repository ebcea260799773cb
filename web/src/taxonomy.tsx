/** Genres and persons: list with search and sort, create, edit with a history tab. */
import {
  Create,
  Datagrid,
  DateField,
  Edit,
  List,
  NumberField,
  SearchInput,
  SimpleForm,
  TabbedForm,
  TextField,
  TextInput,
  BulkDeleteButton,
  required,
} from 'react-admin';
import { History } from './History';

const search = [<SearchInput key="q" source="q" alwaysOn />];

export const GenreList = () => (
  <List filters={search} sort={{ field: 'name', order: 'ASC' }} perPage={25}>
    <Datagrid rowClick="edit" bulkActionButtons={<BulkDeleteButton mutationMode="pessimistic" />}>
      <TextField source="name" />
      <TextField source="description" sortable={false} />
      <NumberField source="film_count" />
      <DateField source="modified" showTime />
    </Datagrid>
  </List>
);

export const GenreEdit = () => (
  <Edit mutationMode="pessimistic">
    <TabbedForm>
      <TabbedForm.Tab label="resources.genres.name">
        <TextInput source="name" validate={required()} />
        <TextInput source="description" multiline fullWidth />
      </TabbedForm.Tab>
      <TabbedForm.Tab label="kino.history.tab" path="history">
        <History entity="genre" />
      </TabbedForm.Tab>
    </TabbedForm>
  </Edit>
);

export const GenreCreate = () => (
  <Create redirect="list">
    <SimpleForm>
      <TextInput source="name" validate={required()} />
      <TextInput source="description" multiline fullWidth />
    </SimpleForm>
  </Create>
);

export const PersonList = () => (
  <List filters={search} sort={{ field: 'full_name', order: 'ASC' }} perPage={25}>
    <Datagrid rowClick="edit" bulkActionButtons={<BulkDeleteButton mutationMode="pessimistic" />}>
      <TextField source="full_name" />
      <NumberField source="film_count" />
      <DateField source="modified" showTime />
    </Datagrid>
  </List>
);

export const PersonEdit = () => (
  <Edit mutationMode="pessimistic">
    <TabbedForm>
      <TabbedForm.Tab label="resources.persons.name">
        <TextInput source="full_name" validate={required()} fullWidth />
      </TabbedForm.Tab>
      <TabbedForm.Tab label="kino.history.tab" path="history">
        <History entity="person" />
      </TabbedForm.Tab>
    </TabbedForm>
  </Edit>
);

export const PersonCreate = () => (
  <Create redirect="list">
    <SimpleForm>
      <TextInput source="full_name" validate={required()} fullWidth />
    </SimpleForm>
  </Create>
);
