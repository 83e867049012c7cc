# Everything comes from Debian 12 packages (see README / scripts/install-deps.sh).

# PocoDataPostgreSQLTargets.cmake links "PostgreSQL::client" but PocoDataPostgreSQLConfig never
# creates it; make it from CMake's own FindPostgreSQL (libpq).
find_package(PostgreSQL REQUIRED)
if(NOT TARGET PostgreSQL::client)
  add_library(PostgreSQL::client INTERFACE IMPORTED)
  target_link_libraries(PostgreSQL::client INTERFACE PostgreSQL::PostgreSQL)
endif()
find_package(Poco 1.11 REQUIRED COMPONENTS
  Foundation Net NetSSL Util JSON Crypto JWT Data DataSQLite DataPostgreSQL Redis Zip)
find_package(Boost 1.74 REQUIRED COMPONENTS filesystem)
find_package(spdlog REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(Threads REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
