# core-tx area: RLP, EIP-55 addresses, quantities, transactions (+ CLI and canary tests).
foreach(m rlp ethaddr quantity tx)
    nw_add_unit_test(${m} SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_${m}.c LIBS nwcore)
endforeach()
