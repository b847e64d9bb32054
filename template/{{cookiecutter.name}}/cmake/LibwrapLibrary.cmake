# Fetch, build and stage the wrapped library at configure time; write its pkg-config, CMake and
# manifest files. Used by CMakeLists.txt; every message names the fix.
include_guard(GLOBAL)
include(CMakePackageConfigHelpers)

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

# Set OUT_VAR to a directory holding the library's source tree (or, for prebuilt, its prefix).
function(libwrap_prepare_source out_var)
  set(source "${LIBWRAP_SOURCE}")
  set(sha256 "${LIBWRAP_SHA256}")
  if(sha256 STREQUAL "" AND source STREQUAL LIBWRAP_DEFAULT_SOURCE)
    set(sha256 "${LIBWRAP_DEFAULT_SHA256}")
  endif()
  string(TOLOWER "${sha256}" sha256)
  if(source STREQUAL "")
    message(FATAL_ERROR "libwrap: no library source is set; pass -Ccmake.define.LIBWRAP_SOURCE=<URL, tarball or directory>")
  endif()

  set(work "${CMAKE_CURRENT_BINARY_DIR}/libwrap-source")
  if(source MATCHES "^[A-Za-z][A-Za-z0-9+.-]*://")
    string(REGEX REPLACE "[?#].*$" "" name "${source}")
    get_filename_component(name "${name}" NAME)
    set(archive "${work}/download/${name}")
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

  # Extract once per archive content; a tarball normally holds one top-level directory.
  set(tree "${work}/${actual}")
  if(NOT EXISTS "${tree}.done")
    file(REMOVE_RECURSE "${tree}")
    file(ARCHIVE_EXTRACT INPUT "${archive}" DESTINATION "${tree}")
    file(TOUCH "${tree}.done")
  endif()
  file(GLOB entries LIST_DIRECTORIES true "${tree}/*")
  list(LENGTH entries count)
  if(count EQUAL 1 AND IS_DIRECTORY "${entries}")
    set(tree "${entries}")
  endif()
  set(${out_var} "${tree}" PARENT_SCOPE)
endfunction()

# Build and install the library from SOURCE_DIR into a private prefix; set OUT_VAR to it.
function(libwrap_build_library source_dir out_var)
  if(LIBWRAP_BUILD STREQUAL "prebuilt")
    set(${out_var} "${source_dir}" PARENT_SCOPE)
    return()
  endif()
  set(root "${CMAKE_CURRENT_BINARY_DIR}/libwrap-build")
  set(prefix "${root}/prefix")
  set(build_args ${LIBWRAP_BUILD_ARGS} ${LIBWRAP_EXTRA_BUILD_ARGS})
  foreach(entry IN LISTS LIBWRAP_BUILD_ARGS_IF_MISSING)
    string(REPLACE "|" ";" entry "${entry}")
    list(GET entry 0 path)
    list(GET entry 1 arg)
    if(NOT EXISTS "${source_dir}/${path}")
      message(STATUS "libwrap: the source has no ${path}; building with ${arg}")
      list(APPEND build_args "${arg}")
    endif()
  endforeach()
  # Reconfiguring the same build directory does not rebuild an unchanged library.
  set(key "${LIBWRAP_BUILD}|${source_dir}|${build_args}|${CMAKE_C_COMPILER}")
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

  if(LIBWRAP_BUILD STREQUAL "cmake")
    set(generator -G "${CMAKE_GENERATOR}")
    if(CMAKE_MAKE_PROGRAM)
      list(APPEND generator "-DCMAKE_MAKE_PROGRAM=${CMAKE_MAKE_PROGRAM}")
    endif()
    _libwrap_run("configuring the library failed" COMMAND
      "${CMAKE_COMMAND}" -S "${source_dir}" -B "${root}/build" ${generator}
      -DCMAKE_BUILD_TYPE=Release "-DCMAKE_INSTALL_PREFIX=${prefix}" -DCMAKE_INSTALL_LIBDIR=lib
      -DBUILD_SHARED_LIBS=ON "-DCMAKE_C_COMPILER=${CMAKE_C_COMPILER}" ${build_args})
    _libwrap_run("building the library failed" COMMAND
      "${CMAKE_COMMAND}" --build "${root}/build" --parallel ${jobs})
    _libwrap_run("installing the library failed" COMMAND "${CMAKE_COMMAND}" --install "${root}/build")
  elseif(LIBWRAP_BUILD STREQUAL "autotools")
    find_program(LIBWRAP_MAKE NAMES gmake make REQUIRED)
    # A private copy: not every configure script supports building outside its source tree.
    file(COPY "${source_dir}/" DESTINATION "${root}/src")
    _libwrap_run("configuring the library failed" WORKING_DIRECTORY "${root}/src" COMMAND
      "${CMAKE_COMMAND}" -E env "CC=${CMAKE_C_COMPILER}"
      sh ./configure "--prefix=${prefix}" --enable-shared --disable-static ${build_args})
    _libwrap_run("building the library failed" WORKING_DIRECTORY "${root}/src" COMMAND
      "${LIBWRAP_MAKE}" -j${jobs})
    _libwrap_run("installing the library failed" WORKING_DIRECTORY "${root}/src" COMMAND
      "${LIBWRAP_MAKE}" install)
  else()
    message(FATAL_ERROR "libwrap: unknown LIBWRAP_BUILD '${LIBWRAP_BUILD}'; use cmake, autotools or prebuilt")
  endif()
  file(WRITE "${root}/key.txt" "${key}")
  set(${out_var} "${prefix}" PARENT_SCOPE)
endfunction()

# Copy the library, headers and licences into OUT and load the facts stage.cmake records.
macro(libwrap_stage prefix source_dir out)
  set(_libwrap_args --prefix "${prefix}" --out "${out}" --init-symbol "${LIBWRAP_INIT_SYMBOL}")
  if(LIBWRAP_SONAME)
    list(APPEND _libwrap_args --soname "${LIBWRAP_SONAME}")
  endif()
  if(LIBWRAP_LINK_NAME)
    list(APPEND _libwrap_args --link-name "${LIBWRAP_LINK_NAME}")
  endif()
  if(LIBWRAP_INCLUDE_SUBDIR)
    list(APPEND _libwrap_args --include-subdir "${LIBWRAP_INCLUDE_SUBDIR}")
  endif()
  if(NOT LIBWRAP_BUILD STREQUAL "prebuilt")
    list(APPEND _libwrap_args --source-dir "${source_dir}")
  endif()
  foreach(_libwrap_pattern IN LISTS LIBWRAP_LICENSE_FILES)
    list(APPEND _libwrap_args --license "${_libwrap_pattern}")
  endforeach()
  _libwrap_run("staging the library failed" COMMAND
    "${Python_EXECUTABLE}" "${PROJECT_SOURCE_DIR}/cmake/libwrap_stage.py" ${_libwrap_args})
  include("${out}/stage.cmake")
  set(LIBWRAP_STAGE_DIR "${out}")
  set(LIBWRAP_LINK_FILES "${LIBWRAP_IMPORT_LIBRARY}")
  if(UNIX AND NOT APPLE AND NOT LIBWRAP_PRIMARY_SONAME STREQUAL "lib${LIBWRAP_LINK_NAME}.so")
    # Wheels cannot hold the lib<name>.so symlink; for -l<name> the linker also tries lib<name>.a
    # and reads a non-archive there as a linker script. Named .a, not .so, so that tools which
    # open every *.so in a wheel as ELF (abi3audit) do not trip on it.
    file(WRITE "${out}/link/lib${LIBWRAP_LINK_NAME}.a" "INPUT(${LIBWRAP_PRIMARY_SONAME})\n")
    set(LIBWRAP_LINK_FILES "${out}/link/lib${LIBWRAP_LINK_NAME}.a")
  endif()
endmacro()

# Write <name>.pc, <Package>Config.cmake, its version file and libwrap.json into DIR.
function(libwrap_write_metadata dir)
  configure_file("${PROJECT_SOURCE_DIR}/cmake/pkgconfig.pc.in" "${dir}/${LIBWRAP_PKGCONFIG_NAME}.pc" @ONLY)
  configure_file("${PROJECT_SOURCE_DIR}/cmake/libwrap.json.in" "${dir}/libwrap.json" @ONLY)

  set(LIBRARY_FILE "${pkg}/lib/${LIBWRAP_PRIMARY_SONAME}")
  set(INCLUDE_DIR "${pkg}/include")
  configure_package_config_file("${PROJECT_SOURCE_DIR}/cmake/Config.cmake.in"
    "${dir}/${LIBWRAP_CMAKE_PACKAGE}Config.cmake"
    INSTALL_DESTINATION "${cmake_dir}"
    PATH_VARS LIBRARY_FILE INCLUDE_DIR
    NO_SET_AND_CHECK_MACRO)
  # 0.x releases break their ABI on minor versions, later ones on major versions.
  if(LIBWRAP_VERSION MATCHES "^0\\.")
    set(compatibility SameMinorVersion)
  else()
    set(compatibility SameMajorVersion)
  endif()
  write_basic_package_version_file("${dir}/${LIBWRAP_CMAKE_PACKAGE}ConfigVersion.cmake"
    VERSION "${LIBWRAP_VERSION}" COMPATIBILITY ${compatibility})
endfunction()
