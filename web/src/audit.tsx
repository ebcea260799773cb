/** The change log across the catalogue, newest first. */
import {
  Datagrid,
  DateField,
  FunctionField,
  List,
  SelectInput,
  TextField,
  TextInput,
  type RaRecord,
} from 'react-admin';

const filters = [
  <SelectInput
    key="entity"
    source="entity"
    alwaysOn
    choices={[
      { id: 'film', name: 'resources.films.name' },
      { id: 'genre', name: 'resources.genres.name' },
      { id: 'person', name: 'resources.persons.name' },
    ]}
  />,
  <TextInput key="id" source="id" label="resources.audit.fields.entity_id" />,
];

export const AuditList = () => (
  <List filters={filters} perPage={25} sort={{ field: 'at', order: 'DESC' }} exporter={false}>
    <Datagrid bulkActionButtons={false} rowClick={false}>
      <DateField source="at" showTime sortable={false} />
      <TextField source="entity" sortable={false} />
      <TextField source="entity_id" sortable={false} />
      <TextField source="action" sortable={false} />
      <TextField source="actor_login" sortable={false} />
      <FunctionField
        source="diff"
        sortable={false}
        render={(r: RaRecord) => Object.keys((r.diff as object) ?? {}).join(', ')}
      />
    </Datagrid>
  </List>
);
