# The CMake half of a libwrap provider build (the Python half is `python -m libwrap.stage`):
# fetch the library's source, build it into a private prefix at configure time, stage it, link the
# `_init` module to it and install everything the wheel holds. Every message names the fix.
#
#   find_package(Python 3.9 REQUIRED COMPONENTS Interpreter Development.SABIModule)
#   include(Libwrap)   # found through libwrap's cmake.module entry point
include_guard(GLOBAL)
include(CMakePackageConfigHelpers)
set(_LIBWRAP_DIR "${CMAKE_CURRENT_LIST_DIR}")

if(NOT Python_EXECUTABLE)
  message(FATAL_ERROR "libwrap: call find_package(Python REQUIRED COMPONENTS Interpreter Development.SABIModule) before include(Libwrap)")
endif()

# Run a command; stop the build with MESSAGE if it fails.
function(_libwrap_run message)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "WORKING_DIRECTORY" "COMMAND")
  if(NOT arg_WORKING_DIRECTORY)
    set(arg_WORKING_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}")
  endif()
  execute_process(COMMAND ${arg_COMMAND} WORKING_DIRECTORY "${arg_WORKING_DIRECTORY}" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    list(JOIN arg_COMMAND " " shown)
    message(FATAL_ERROR "libwrap: ${message} (`${shown}` exited with ${rc}); see the output above")
  endif()
endfunction()

# The command line a user would type: list items separated by spaces, not CMake's semicolons.
function(_libwrap_show what)
  list(JOIN ARGN " " shown)
  message(STATUS "libwrap: ${what}: ${shown}")
endfunction()

# libwrap_fetch_source(<out_var> SOURCE <URL|tarball|directory> [SHA256 <hex>] [TOOLS <program>...])
# Set <out_var> to a directory holding the source tree (or, for a prebuilt library, its prefix).
# TOOLS are programs the library's build needs (gfortran...), checked before anything is fetched.
function(libwrap_fetch_source out_var)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "SOURCE;SHA256" "TOOLS")
  # Tools are checked first: a missing patchelf must cost seconds, not a whole library build.
  set(tools "")
  foreach(tool IN LISTS arg_TOOLS)
    list(APPEND tools --tool "${tool}")
  endforeach()
  _libwrap_run("the build environment lacks a tool" COMMAND "${Python_EXECUTABLE}" -m libwrap.stage preflight ${tools})
  string(TOLOWER "${arg_SHA256}" sha256)
  set(source "${arg_SOURCE}")
  if(source STREQUAL "")
    message(FATAL_ERROR "libwrap: no library source is set; pass -Ccmake.define.LIBWRAP_SOURCE=<URL, tarball or directory>")
  endif()

  set(work "${CMAKE_CURRENT_BINARY_DIR}/libwrap-source")
  if(source MATCHES "^[A-Za-z][A-Za-z0-9+.-]*://")
    string(REGEX REPLACE "[?#].*$" "" name "${source}")
    get_filename_component(name "${name}" NAME)
    # Cached per URL, not per file name: v1.2.tar.gz from two projects are different files.
    string(SHA256 url_key "${source}")
    set(archive "${work}/download/${url_key}/${name}")
    if(NOT EXISTS "${archive}")
      message(STATUS "libwrap: downloading ${source}")
      file(DOWNLOAD "${source}" "${archive}.part" STATUS status TLS_VERIFY ON)
      list(GET status 0 code)
      if(NOT code EQUAL 0)
        list(GET status 1 reason)
        file(REMOVE "${archive}.part")
        message(FATAL_ERROR "libwrap: downloading ${source} failed (${reason}); check the network or pass a local copy as LIBWRAP_SOURCE")
      endif()
      file(RENAME "${archive}.part" "${archive}")
    endif()
  else()
    get_filename_component(source "${source}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    if(IS_DIRECTORY "${source}")
      if(NOT sha256 STREQUAL "")
        # A hash that is never checked would look like a guarantee.
        message(FATAL_ERROR "libwrap: LIBWRAP_SHA256 is set, but the source ${source} is a directory, which has no hash to check; pass the tarball it came from as LIBWRAP_SOURCE, or set LIBWRAP_SHA256 to \"\"")
      endif()
      set(${out_var} "${source}" PARENT_SCOPE)
      return()
    elseif(NOT EXISTS "${source}")
      message(FATAL_ERROR "libwrap: source ${source} does not exist; pass an existing directory, tarball or URL as LIBWRAP_SOURCE")
    endif()
    set(archive "${source}")
  endif()

  file(SHA256 "${archive}" actual)
  if(sha256 AND NOT actual STREQUAL sha256)
    message(FATAL_ERROR "libwrap: sha256 mismatch for ${source}: expected ${sha256}, got ${actual}; the file is corrupt or not the release you meant (set LIBWRAP_SHA256 to the right hash)")
  endif()

  # Extract once per archive content; a tarball normally holds one top-level directory. Not with
  # file(ARCHIVE_EXTRACT): it follows a link member that a later member writes through, out of the tree.
  set(tree "${work}/${actual}")
  if(NOT EXISTS "${tree}.done")
    file(REMOVE_RECURSE "${tree}")
    _libwrap_run("extracting ${source} failed" COMMAND
      "${Python_EXECUTABLE}" -m libwrap.stage extract --archive "${archive}" --dest "${tree}")
    file(TOUCH "${tree}.done")
  endif()
  file(GLOB entries LIST_DIRECTORIES true "${tree}/*")
  list(LENGTH entries count)
  if(count EQUAL 1 AND IS_DIRECTORY "${entries}")
    set(tree "${entries}")
  endif()
  set(${out_var} "${tree}" PARENT_SCOPE)
endfunction()

# _libwrap_default_args(<out_var> <build> <source_dir>)
# The arguments a build mode adds before the user's (printed; later arguments override them). Setting
# LIBWRAP_DEFAULT_BUILD_ARGS, even to "", replaces them all.
function(_libwrap_default_args out_var build source_dir)
  if(DEFINED LIBWRAP_DEFAULT_BUILD_ARGS)
    set(defaults ${LIBWRAP_DEFAULT_BUILD_ARGS})
  elseif(build STREQUAL "cmake")
    set(defaults -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON
      # CMake 4 refuses cmake_minimum_required(VERSION < 3.5), which many libraries still say.
      -DCMAKE_POLICY_VERSION_MINIMUM=3.5)
  elseif(build STREQUAL "autotools")
    set(defaults "")
    set(configure "${source_dir}/configure")
    if(EXISTS "${configure}")
      file(STRINGS "${configure}" autoconf LIMIT_COUNT 1 REGEX "Generated by GNU Autoconf")
    endif()
    # A hand-written configure (zlib's, OpenSSL's) may reject options it does not know.
    if(NOT EXISTS "${configure}" OR autoconf)
      set(defaults --enable-shared --disable-static)
    else()
      message(STATUS "libwrap: ./configure is not GNU autoconf's, so it gets no --enable-shared --disable-static")
    endif()
  elseif(build STREQUAL "meson")
    set(defaults --buildtype=release -Ddefault_library=shared)
  else()
    set(defaults "")
  endif()
  set(${out_var} ${defaults} PARENT_SCOPE)
endfunction()

# libwrap_build_library(<out_var> SOURCE_DIR <dir> BUILD cmake|autotools|meson|make|prebuilt
#                       [ARGS <arg>...] [ARGS_IF_MISSING <path> <arg> [<path> <arg>]...] [REQUIRES <provider>...])
# Build and install the library into a private prefix and set <out_var> to it. ARGS come after
# libwrap's defaults, so they override them; each ARGS_IF_MISSING <arg> is added when the source
# tree has no <path>. REQUIRES are providers (installed in the build environment) the library links
# to: their .pc files, headers and libraries are put where every build system looks.
function(libwrap_build_library out_var)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "SOURCE_DIR;BUILD" "ARGS;ARGS_IF_MISSING;REQUIRES")
  if(arg_BUILD STREQUAL "prebuilt")
    set(${out_var} "${arg_SOURCE_DIR}" PARENT_SCOPE)
    return()
  endif()
  set(root "${CMAKE_CURRENT_BINARY_DIR}/libwrap-build")
  set(prefix "${root}/prefix")
  set(build_args ${arg_ARGS})
  while(arg_ARGS_IF_MISSING)
    list(POP_FRONT arg_ARGS_IF_MISSING path extra)
    if(NOT EXISTS "${arg_SOURCE_DIR}/${path}")
      message(STATUS "libwrap: the source has no ${path}; building with ${extra}")
      list(APPEND build_args "${extra}")
    endif()
  endwhile()
  _libwrap_default_args(defaults "${arg_BUILD}" "${arg_SOURCE_DIR}")
  _libwrap_show("default arguments for --build ${arg_BUILD} (replace them with LIBWRAP_DEFAULT_BUILD_ARGS)" ${defaults})
  # Reconfiguring the same build directory does not rebuild an unchanged library.
  set(key "${arg_BUILD}|${arg_SOURCE_DIR}|${defaults}|${build_args}|${arg_REQUIRES}|${CMAKE_C_COMPILER}")
  if(EXISTS "${root}/key.txt")
    file(READ "${root}/key.txt" old_key)
    if(old_key STREQUAL key AND IS_DIRECTORY "${prefix}")
      set(${out_var} "${prefix}" PARENT_SCOPE)
      return()
    endif()
  endif()
  file(REMOVE_RECURSE "${root}")

  if(DEFINED ENV{CMAKE_BUILD_PARALLEL_LEVEL})
    set(jobs "$ENV{CMAKE_BUILD_PARALLEL_LEVEL}")
  else()
    cmake_host_system_information(RESULT jobs QUERY NUMBER_OF_LOGICAL_CORES)
  endif()
  set(env "${CMAKE_COMMAND}" -E env "CC=${CMAKE_C_COMPILER}")
  if(arg_REQUIRES)
    set(requires "")
    foreach(provider IN LISTS arg_REQUIRES)
      list(APPEND requires --provider "${provider}")
    endforeach()
    _libwrap_run("a required provider is missing" COMMAND "${Python_EXECUTABLE}" -m libwrap.stage build-env
      ${requires} --out "${root}/requires.cmake")
    include("${root}/requires.cmake")  # LIBWRAP_REQUIRED_ENV: PKG_CONFIG_PATH=..., CPPFLAGS=...
    _libwrap_show("building against the providers ${arg_REQUIRES} with" ${LIBWRAP_REQUIRED_ENV})
    list(APPEND env ${LIBWRAP_REQUIRED_ENV})
  endif()

  if(arg_BUILD STREQUAL "cmake")
    set(fixed -G "${CMAKE_GENERATOR}" "-DCMAKE_INSTALL_PREFIX=${prefix}" -DCMAKE_INSTALL_LIBDIR=lib
      "-DCMAKE_C_COMPILER=${CMAKE_C_COMPILER}")
    if(CMAKE_MAKE_PROGRAM)
      list(APPEND fixed "-DCMAKE_MAKE_PROGRAM=${CMAKE_MAKE_PROGRAM}")
    endif()
    _libwrap_show("configuring the library" cmake ${fixed} ${defaults} ${build_args})
    _libwrap_run("configuring the library failed" COMMAND
      ${env} "${CMAKE_COMMAND}" -S "${arg_SOURCE_DIR}" -B "${root}/build" ${fixed} ${defaults} ${build_args})
    _libwrap_run("building the library failed" COMMAND ${env} "${CMAKE_COMMAND}" --build "${root}/build" --parallel ${jobs})
    _libwrap_run("installing the library failed" COMMAND "${CMAKE_COMMAND}" --install "${root}/build")
  elseif(arg_BUILD STREQUAL "meson")
    # meson and ninja come from PyPI: the provider lists them in build-system.requires.
    set(meson "${Python_EXECUTABLE}" -m mesonbuild.mesonmain)
    if(CMAKE_MAKE_PROGRAM MATCHES "ninja")
      list(APPEND env "NINJA=${CMAKE_MAKE_PROGRAM}")  # the ninja scikit-build-core already uses
    endif()
    set(fixed "--prefix=${prefix}" --libdir=lib)
    _libwrap_show("configuring the library" meson setup ${fixed} ${defaults} ${build_args})
    _libwrap_run("configuring the library failed (is meson installed? it is in build-system.requires)" COMMAND
      ${env} ${meson} setup "${root}/build" "${arg_SOURCE_DIR}" ${fixed} ${defaults} ${build_args})
    _libwrap_run("building the library failed" COMMAND ${env} ${meson} compile -C "${root}/build" -j ${jobs})
    _libwrap_run("installing the library failed" COMMAND ${env} ${meson} install -C "${root}/build" --quiet)
  elseif(arg_BUILD STREQUAL "make")
    find_program(LIBWRAP_MAKE NAMES gmake make REQUIRED)
    # A plain Makefile (OpenBLAS's own, bzip2's...): the same variables for both steps, since install
    # rules recompute names (OpenBLAS's library suffix) from them. ARGS come last and win.
    file(COPY "${arg_SOURCE_DIR}/" DESTINATION "${root}/src")
    set(fixed "CC=${CMAKE_C_COMPILER}" "PREFIX=${prefix}")
    _libwrap_show("building the library" make ${fixed} ${defaults} ${build_args} "&&" make install ${fixed} ${defaults} ${build_args})
    _libwrap_run("building the library failed" WORKING_DIRECTORY "${root}/src" COMMAND
      ${env} "${LIBWRAP_MAKE}" -j${jobs} ${fixed} ${defaults} ${build_args})
    _libwrap_run("installing the library failed" WORKING_DIRECTORY "${root}/src" COMMAND
      ${env} "${LIBWRAP_MAKE}" install ${fixed} ${defaults} ${build_args})
  elseif(arg_BUILD STREQUAL "autotools")
    find_program(LIBWRAP_MAKE NAMES gmake make REQUIRED)
    # A private copy: not every configure script supports building outside its source tree.
    file(COPY "${arg_SOURCE_DIR}/" DESTINATION "${root}/src")
    if(NOT EXISTS "${root}/src/configure")
      # A git snapshot (libyaml's): only configure.ac, which autoreconf turns into configure.
      set(tools --tool autoreconf)
      file(GLOB configure_ac "${root}/src/configure.ac" "${root}/src/configure.in")
      file(STRINGS "${configure_ac}" automake REGEX "AM_INIT_AUTOMAKE")
      file(STRINGS "${configure_ac}" libtool REGEX "LT_INIT|AC_PROG_LIBTOOL")
      if(automake)
        list(APPEND tools --tool automake)
      endif()
      if(libtool)
        list(APPEND tools --tool libtoolize)
      endif()
      _libwrap_run("the source has no configure script, and generating it needs a tool" COMMAND
        "${Python_EXECUTABLE}" -m libwrap.stage preflight ${tools})
      _libwrap_show("generating configure" autoreconf -fi)
      _libwrap_run("generating configure failed" WORKING_DIRECTORY "${root}/src" COMMAND autoreconf -fi)
    endif()
    set(fixed "--prefix=${prefix}")
    _libwrap_show("configuring the library" ./configure ${fixed} ${defaults} ${build_args})
    _libwrap_run("configuring the library failed" WORKING_DIRECTORY "${root}/src" COMMAND
      ${env} sh ./configure ${fixed} ${defaults} ${build_args})
    _libwrap_run("building the library failed" WORKING_DIRECTORY "${root}/src" COMMAND ${env} "${LIBWRAP_MAKE}" -j${jobs})
    _libwrap_run("installing the library failed" WORKING_DIRECTORY "${root}/src" COMMAND ${env} "${LIBWRAP_MAKE}" install)
  else()
    message(FATAL_ERROR "libwrap: unknown build '${arg_BUILD}'; use cmake, autotools, meson, make or prebuilt")
  endif()
  file(WRITE "${root}/key.txt" "${key}")
  set(${out_var} "${prefix}" PARENT_SCOPE)
endfunction()

# libwrap_stage_library(<target> PREFIX <dir> PACKAGE <name> VERSION <v> REQUIREMENT <req>
#                       PKGCONFIG_NAME <name> [INIT_SYMBOL <symbol>] [SOURCE_DIR <dir>] [SONAME <soname>]
#                       [LINK_NAME <name>] [INCLUDE_SUBDIR <dir>] [CMAKE_PACKAGE <name>] [REQUIRES <provider>...]
#                       [LICENSE_FILES <glob>...] [RUNTIME_LICENSES <soname>=<file>...] [NO_LICENSE_FILES])
# Stage the installed library (libwrap.stage) and create the IMPORTED target <target> for it.
function(libwrap_stage_library target)
  # Optional one-value keywords, passed on as --source-dir, --soname...: add one here and to stage.Options.
  set(optional INIT_SYMBOL SOURCE_DIR SONAME LINK_NAME INCLUDE_SUBDIR CMAKE_PACKAGE)
  cmake_parse_arguments(PARSE_ARGV 1 arg "NO_LICENSE_FILES"
    "PREFIX;PACKAGE;VERSION;REQUIREMENT;PKGCONFIG_NAME;${optional}" "LICENSE_FILES;RUNTIME_LICENSES;REQUIRES")
  set(out "${CMAKE_CURRENT_BINARY_DIR}/libwrap-stage")
  set(command "${Python_EXECUTABLE}" -m libwrap.stage stage --prefix "${arg_PREFIX}" --out "${out}"
    --package "${arg_PACKAGE}" --version "${arg_VERSION}" --requirement "${arg_REQUIREMENT}"
    --pkgconfig-name "${arg_PKGCONFIG_NAME}")
  foreach(option IN LISTS optional)
    if(arg_${option})
      string(TOLOWER "--${option}" flag)
      string(REPLACE "_" "-" flag "${flag}")
      list(APPEND command "${flag}" "${arg_${option}}")
    endif()
  endforeach()
  foreach(pattern IN LISTS arg_LICENSE_FILES)
    list(APPEND command --license "${pattern}")
  endforeach()
  foreach(item IN LISTS arg_RUNTIME_LICENSES)
    list(APPEND command --runtime-license "${item}")
  endforeach()
  foreach(provider IN LISTS arg_REQUIRES)
    list(APPEND command --requires "${provider}")
  endforeach()
  if(arg_NO_LICENSE_FILES)
    list(APPEND command --no-license-files)
  endif()
  _libwrap_run("staging the library failed" COMMAND ${command})
  # LIBRARY_FILES, PRIMARY_FILE, PRIMARY_SONAME, LINK_FILES, IMPORT_LIBRARY, OTHER_FILES, PROBE_SYMBOL,
  # REQUIRED_CMAKE_PACKAGES
  include("${out}/stage.cmake")

  add_library(${target} SHARED IMPORTED GLOBAL)
  set_target_properties(${target} PROPERTIES
    IMPORTED_LOCATION "${PRIMARY_FILE}"
    IMPORTED_SONAME "${PRIMARY_SONAME}"
    IMPORTED_IMPLIB "${IMPORT_LIBRARY}"
    INTERFACE_LINK_LIBRARIES "${OTHER_FILES}"
    LIBWRAP_PROBE_SYMBOL "${PROBE_SYMBOL}"
    LIBWRAP_REQUIRED_CMAKE_PACKAGES "${REQUIRED_CMAKE_PACKAGES}"
    LIBWRAP_REQUIRES "${arg_REQUIRES}"
    LIBWRAP_STAGE_DIR "${out}"
    LIBWRAP_LIBRARY_FILES "${LIBRARY_FILES}"
    LIBWRAP_LINK_FILES "${LINK_FILES}"
    LIBWRAP_PKGCONFIG_NAME "${arg_PKGCONFIG_NAME}"
    LIBWRAP_REQUIREMENT "${arg_REQUIREMENT}"
    LIBWRAP_VERSION "${arg_VERSION}")
endfunction()

# libwrap_add_init_module(<name> <source.c> LIBRARY <target>)
# The abi3 extension whose import makes the loader load LIBRARY by its SONAME.
function(libwrap_add_init_module name source)
  cmake_parse_arguments(PARSE_ARGV 2 arg "" "LIBRARY" "")
  python_add_library(${name} MODULE WITH_SOABI USE_SABI 3.9 "${source}")
  target_link_libraries(${name} PRIVATE ${arg_LIBRARY})
  get_target_property(soname ${arg_LIBRARY} IMPORTED_SONAME)
  get_target_property(probe ${arg_LIBRARY} LIBWRAP_PROBE_SYMBOL)
  # _init finds the copy its DT_NEEDED bound to through this symbol (see _init.c).
  target_compile_definitions(${name} PRIVATE "LIBWRAP_SONAME=\"${soname}\"" "LIBWRAP_PROBE=${probe}")
  # One relative search path and no build path: the wheel must work wherever it is installed.
  set_target_properties(${name} PROPERTIES SKIP_BUILD_RPATH ON BUILD_WITH_INSTALL_RPATH ON)
  if(APPLE)
    set_target_properties(${name} PROPERTIES INSTALL_RPATH "@loader_path/lib")
  elseif(UNIX)
    set_target_properties(${name} PROPERTIES INSTALL_RPATH "$ORIGIN/lib")
    # auditwheel detects the libc flavour from DT_NEEDED; --as-needed would drop libc.so.6.
    target_link_options(${name} PRIVATE "LINKER:--no-as-needed" "LINKER:--enable-new-dtags")
    target_link_libraries(${name} PRIVATE c)
  endif()
endfunction()

# libwrap_install_provider(<library target> PACKAGE <name> MODULE <init target>
#                          CMAKE_PACKAGE <name> COMPATIBILITY <SameMajorVersion|SameMinorVersion|AnyNewerVersion>)
# Install what the wheel holds, each under <package>/ (or the wheel's .dist-info for licences).
function(libwrap_install_provider library)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "PACKAGE;MODULE;CMAKE_PACKAGE;COMPATIBILITY" "")
  set(PACKAGE "${arg_PACKAGE}")
  set(CMAKE_PACKAGE "${arg_CMAKE_PACKAGE}")
  get_target_property(stage ${library} LIBWRAP_STAGE_DIR)
  get_target_property(files ${library} LIBWRAP_LIBRARY_FILES)
  get_target_property(link_files ${library} LIBWRAP_LINK_FILES)
  get_target_property(pkgconfig_name ${library} LIBWRAP_PKGCONFIG_NAME)
  get_target_property(PRIMARY_SONAME ${library} IMPORTED_SONAME)
  get_target_property(REQUIREMENT ${library} LIBWRAP_REQUIREMENT)
  get_target_property(version ${library} LIBWRAP_VERSION)
  get_target_property(required_packages ${library} LIBWRAP_REQUIRED_CMAKE_PACKAGES)
  get_target_property(required_providers ${library} LIBWRAP_REQUIRES)
  set(cmake_dir "${PACKAGE}/lib/cmake/${CMAKE_PACKAGE}")
  # find_dependency() for each provider this one is built on; a sibling install is found without help.
  set(FIND_DEPENDENCIES "")
  set(DEPENDENCY_TARGETS "")
  foreach(dependency provider IN ZIP_LISTS required_packages required_providers)
    string(APPEND FIND_DEPENDENCIES
      "find_dependency(${dependency} CONFIG PATHS \"\${PACKAGE_PREFIX_DIR}/${provider}/lib/cmake/${dependency}\")\n")
    list(APPEND DEPENDENCY_TARGETS "${dependency}::${dependency}")
  endforeach()

  set(LIBRARY_FILE "${PACKAGE}/lib/${PRIMARY_SONAME}")
  set(INCLUDE_DIR "${PACKAGE}/include")
  configure_package_config_file("${_LIBWRAP_DIR}/Config.cmake.in" "${stage}/metadata/${CMAKE_PACKAGE}Config.cmake"
    INSTALL_DESTINATION "${cmake_dir}" PATH_VARS LIBRARY_FILE INCLUDE_DIR NO_SET_AND_CHECK_MACRO)
  write_basic_package_version_file("${stage}/metadata/${CMAKE_PACKAGE}ConfigVersion.cmake"
    VERSION "${version}" COMPATIBILITY ${arg_COMPATIBILITY})

  # <pkg>/_init.abi3.so, next to __init__.py
  install(TARGETS ${arg_MODULE} LIBRARY DESTINATION "${PACKAGE}" RUNTIME DESTINATION "${PACKAGE}")
  # <pkg>/lib/<soname>: one regular file per library
  install(FILES ${files} DESTINATION "${PACKAGE}/lib")
  # install.strip (scikit-build-core's default) strips only targets built here; the library's own build
  # (autotools: -g -O2) left debug information in it. Stripped as Debian's dh_strip does a shared library.
  if(CMAKE_STRIP AND NOT APPLE AND NOT WIN32)
    foreach(file IN LISTS files)
      get_filename_component(name "${file}" NAME)
      install(CODE "if(CMAKE_INSTALL_DO_STRIP)
  execute_process(COMMAND \"${CMAKE_STRIP}\" --strip-unneeded --remove-section=.comment
    \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${PACKAGE}/lib/${name}\" COMMAND_ERROR_IS_FATAL ANY)
endif()")
    endforeach()
  endif()
  # <pkg>/lib/lib<name>.a, a linker script: lets consumers link with -l<name>
  install(FILES ${link_files} DESTINATION "${PACKAGE}/lib")
  # <pkg>/include/...
  install(DIRECTORY "${stage}/include/" DESTINATION "${PACKAGE}/include")
  # <pkg>/lib/pkgconfig/<name>.pc and every other .pc the library installed, relocatable through ${pcfiledir}
  install(DIRECTORY "${stage}/pkgconfig/" DESTINATION "${PACKAGE}/lib/pkgconfig")
  # <pkg>/lib/cmake/<Package>/<Package>Config.cmake and its version file
  install(FILES "${stage}/metadata/${CMAKE_PACKAGE}Config.cmake" "${stage}/metadata/${CMAKE_PACKAGE}ConfigVersion.cmake"
    DESTINATION "${cmake_dir}")
  # <pkg>/libwrap.json: read by consumer tooling without importing the package
  install(FILES "${stage}/metadata/libwrap.json" DESTINATION "${PACKAGE}")
  # <pkg>/_preload.py: writes consumers' _distributor_init.py (generated from libwrap.preload)
  install(FILES "${stage}/metadata/_preload.py" DESTINATION "${PACKAGE}")
  # <name>-<version>.dist-info/licenses/..., paths kept as in the source or prefix
  install(DIRECTORY "${stage}/licenses/" DESTINATION "${SKBUILD_METADATA_DIR}/licenses")
endfunction()
