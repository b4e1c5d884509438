// The RPC benchmark's service for the Apache Thrift peer (bench_rpc_thrift);
// compiled by `thrift --gen cpp` at build time.
namespace cpp rpcbench.gen

service Bench {
  i32 Add(1: i32 a, 2: i32 b)
}
