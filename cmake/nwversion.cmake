# nw_version_header(TARGET): generate nw_version.h for TARGET (see version.cmake) at every
# build, with the project version, the git commit and the configured library versions.
function(nw_version_header target)
    set(out ${CMAKE_BINARY_DIR}/generated/nw_version.h)
    set(libs "libsecp256k1 ${SECP256K1_VERSION}, OpenSSL ${OPENSSL_VERSION}, libcurl ${CURL_VERSION}, jansson ${JANSSON_VERSION}, nettle ${NETTLE_VERSION}")
    add_custom_target(nw_version_gen
        COMMAND ${CMAKE_COMMAND} -DSRC=${PROJECT_SOURCE_DIR} -DOUT=${out}
            -DVERSION=${PROJECT_VERSION} "-DLIBS=${libs}" -P ${PROJECT_SOURCE_DIR}/cmake/version.cmake
        BYPRODUCTS ${out}
        COMMENT "" VERBATIM)
    add_dependencies(${target} nw_version_gen)
    target_include_directories(${target} PRIVATE ${CMAKE_BINARY_DIR}/generated)
endfunction()
