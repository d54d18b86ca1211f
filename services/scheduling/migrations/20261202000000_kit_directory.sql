-- Identity's directory now lives in the kit's replica (`kit_directory_*`, built by the
-- kit's projection); scheduling's own copy goes.
DROP TABLE IF EXISTS directory_memberships;
DROP TABLE IF EXISTS directory_users;
DROP TABLE IF EXISTS directory_stores;
