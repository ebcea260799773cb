/** Films: list with search, filters and bulk actions; create and edit with genres, people and history. */
import {
  ArrayInput,
  AutocompleteArrayInput,
  AutocompleteInput,
  BulkDeleteButton,
  Button,
  Create,
  DatagridConfigurable,
  DateField,
  DateInput,
  Edit,
  FunctionField,
  List,
  NumberField,
  NumberInput,
  ReferenceArrayInput,
  ReferenceInput,
  SearchInput,
  SelectArrayInput,
  SelectField,
  SelectInput,
  SimpleFormIterator,
  TabbedForm,
  TextInput,
  TopToolbar,
  FilterButton,
  CreateButton,
  SelectColumnsButton,
  required,
  maxValue,
  minValue,
  useListContext,
  useNotify,
  useRecordContext,
  useRefresh,
  useTranslate,
  useUnselectAll,
  useUpdateMany,
  type RaRecord,
} from 'react-admin';
import { ACCESS_CHOICES, ROLE_CHOICES, TYPE_CHOICES } from './choices';
import { History } from './History';
import { FilmMedia } from './media';

const byName = (q: string) => ({ q });

const filmFilters = [
  <SearchInput key="q" source="q" alwaysOn />,
  <ReferenceArrayInput
    key="genre"
    source="genre"
    reference="genres"
    perPage={100}
    sort={{ field: 'name', order: 'ASC' }}
  >
    <AutocompleteArrayInput optionText="name" filterToQuery={byName} />
  </ReferenceArrayInput>,
  <SelectInput key="type" source="type" choices={TYPE_CHOICES} />,
  <SelectArrayInput key="access" source="access" choices={ACCESS_CHOICES} />,
  <NumberInput key="year_from" source="year_from" min={1800} max={3000} />,
  <NumberInput key="year_to" source="year_to" min={1800} max={3000} />,
  <NumberInput key="rating_min" source="rating_min" min={0} max={10} step={0.1} />,
  <NumberInput key="rating_max" source="rating_max" min={0} max={10} step={0.1} />,
];

function SetAccessButtons() {
  const { selectedIds } = useListContext();
  const [updateMany, { isPending }] = useUpdateMany();
  const notify = useNotify();
  const refresh = useRefresh();
  const unselectAll = useUnselectAll('films');
  const translate = useTranslate();
  return (
    <>
      {ACCESS_CHOICES.map((choice) => (
        <Button
          key={choice.id}
          label={translate('kino.bulk.set_access', { access: translate(choice.name) })}
          disabled={isPending}
          onClick={() =>
            updateMany(
              'films',
              { ids: selectedIds, data: { access: choice.id } },
              {
                mutationMode: 'pessimistic',
                onSuccess: () => {
                  notify('kino.bulk.done', { messageArgs: { smart_count: selectedIds.length } });
                  unselectAll();
                  refresh();
                },
                onError: (error) => notify((error as Error).message, { type: 'error' }),
              },
            )
          }
        />
      ))}
    </>
  );
}

const BulkActions = () => (
  <>
    <SetAccessButtons />
    <BulkDeleteButton mutationMode="pessimistic" />
  </>
);

const ListActions = () => (
  <TopToolbar>
    <FilterButton />
    <SelectColumnsButton />
    <CreateButton />
  </TopToolbar>
);

export function FilmList() {
  return (
    <List
      filters={filmFilters}
      sort={{ field: 'modified', order: 'DESC' }}
      perPage={25}
      actions={<ListActions />}
    >
      <DatagridConfigurable rowClick="edit" bulkActionButtons={<BulkActions />}>
        <FunctionField source="title" render={(r: RaRecord) => <strong>{r.title}</strong>} />
        <SelectField source="type" choices={TYPE_CHOICES} />
        <SelectField source="access" choices={ACCESS_CHOICES} />
        <NumberField source="rating" options={{ maximumFractionDigits: 1 }} />
        <DateField source="creation_date" />
        <FunctionField
          source="genres"
          sortable={false}
          render={(r: RaRecord) => (r.genres as { name: string }[]).map((g) => g.name).join(', ')}
        />
        <DateField source="modified" showTime />
      </DatagridConfigurable>
    </List>
  );
}

/** Media belong to a saved film: the tab shows once the film has an id. */
function MediaTab() {
  const record = useRecordContext();
  return record?.id ? <FilmMedia filmId={String(record.id)} /> : null;
}

function FilmForm({ withHistory }: { withHistory: boolean }) {
  return (
    <TabbedForm>
      <TabbedForm.Tab label="kino.film.main">
        <TextInput source="title" validate={required()} fullWidth />
        <TextInput source="description" multiline minRows={3} fullWidth />
        <DateInput source="creation_date" />
        <NumberInput source="rating" min={0} max={10} step={0.1} validate={[minValue(0), maxValue(10)]} />
        <SelectInput source="type" choices={TYPE_CHOICES} defaultValue="movie" validate={required()} />
        <SelectInput source="access" choices={ACCESS_CHOICES} defaultValue="FREE" validate={required()} />
      </TabbedForm.Tab>
      <TabbedForm.Tab label="kino.film.cast" path="cast">
        <ReferenceArrayInput
          source="genre_ids"
          reference="genres"
          perPage={100}
          sort={{ field: 'name', order: 'ASC' }}
        >
          <AutocompleteArrayInput optionText="name" filterToQuery={byName} fullWidth />
        </ReferenceArrayInput>
        <ArrayInput source="person_links">
          <SimpleFormIterator inline disableReordering disableClear>
            <ReferenceInput
              source="person_id"
              reference="persons"
              perPage={20}
              sort={{ field: 'full_name', order: 'ASC' }}
            >
              <AutocompleteInput
                optionText="full_name"
                filterToQuery={byName}
                validate={required()}
                sx={{ minWidth: 320 }}
                label="resources.films.fields.person_id"
              />
            </ReferenceInput>
            <SelectInput
              source="role"
              choices={ROLE_CHOICES}
              defaultValue="actor"
              validate={required()}
              label="resources.films.fields.role"
            />
          </SimpleFormIterator>
        </ArrayInput>
      </TabbedForm.Tab>
      {withHistory && (
        <TabbedForm.Tab label="kino.media.tab" path="media">
          <MediaTab />
        </TabbedForm.Tab>
      )}
      {withHistory && (
        <TabbedForm.Tab label="kino.history.tab" path="history">
          <History entity="film" />
        </TabbedForm.Tab>
      )}
    </TabbedForm>
  );
}

const FilmTitle = () => <FunctionField render={(r: RaRecord) => r.title} />;

export const FilmEdit = () => (
  <Edit mutationMode="pessimistic" title={<FilmTitle />}>
    <FilmForm withHistory />
  </Edit>
);

export const FilmCreate = () => (
  <Create redirect="edit">
    <FilmForm withHistory={false} />
  </Create>
);
