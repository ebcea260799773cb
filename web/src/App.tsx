/** The admin panel: which pages a user sees follows the permissions in their token. */
import { Admin, CustomRoutes, Resource } from 'react-admin';
import MovieIcon from '@mui/icons-material/Movie';
import CategoryIcon from '@mui/icons-material/Category';
import PeopleIcon from '@mui/icons-material/RecentActors';
import HistoryIcon from '@mui/icons-material/History';
import PersonIcon from '@mui/icons-material/Person';
import SecurityIcon from '@mui/icons-material/Security';
import { Alert } from '@mui/material';
import { BrowserRouter, Route, Routes } from 'react-router-dom';
import { authProvider } from './authProvider';
import { dataProvider } from './dataProvider';
import { i18nProvider } from './i18n';
import { LoginPage } from './LoginPage';
import { FilmCreate, FilmEdit, FilmList } from './films';
import { GenreCreate, GenreEdit, GenreList, PersonCreate, PersonEdit, PersonList } from './taxonomy';
import { AuditList } from './audit';
import { RoleCreate, RoleEdit, RoleList, UserList, UserShow } from './users';
import { useTranslate } from 'react-admin';

function Denied() {
  const translate = useTranslate();
  return (
    <Alert severity="warning" sx={{ m: 2 }}>
      {translate('kino.denied')}
    </Alert>
  );
}

/** Served at /admin with real paths (the server falls back to index.html for deep links). */
export function App() {
  return (
    <BrowserRouter>
      <Routes>
        <Route path="/admin/*" element={<Panel />} />
      </Routes>
    </BrowserRouter>
  );
}

function Panel() {
  return (
    <Admin
      title="Kinoservice"
      basename="/admin"
      authProvider={authProvider}
      dataProvider={dataProvider}
      i18nProvider={i18nProvider}
      loginPage={LoginPage}
      requireAuth
      disableTelemetry
    >
      {(permissions: string[] | undefined) => {
        const can = (p: string) => Array.isArray(permissions) && permissions.includes(p);
        return (
          <>
            {can('CRUD_FILMS') && (
              <>
                <Resource
                  name="films"
                  list={FilmList}
                  edit={FilmEdit}
                  create={FilmCreate}
                  icon={MovieIcon}
                  recordRepresentation="title"
                />
                <Resource
                  name="genres"
                  list={GenreList}
                  edit={GenreEdit}
                  create={GenreCreate}
                  icon={CategoryIcon}
                  recordRepresentation="name"
                />
                <Resource
                  name="persons"
                  list={PersonList}
                  edit={PersonEdit}
                  create={PersonCreate}
                  icon={PeopleIcon}
                  recordRepresentation="full_name"
                />
                <Resource name="audit" list={AuditList} icon={HistoryIcon} />
              </>
            )}
            {can('ASSIGN_ROLE') && (
              <Resource
                name="users"
                list={UserList}
                show={UserShow}
                icon={PersonIcon}
                recordRepresentation="login"
              />
            )}
            {can('CRUD_ROLE') && (
              <Resource
                name="roles"
                list={RoleList}
                edit={RoleEdit}
                create={RoleCreate}
                icon={SecurityIcon}
                recordRepresentation="code"
              />
            )}
            <CustomRoutes>
              <Route path="/denied" element={<Denied />} />
            </CustomRoutes>
          </>
        );
      }}
    </Admin>
  );
}
