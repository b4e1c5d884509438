// A real controller service and three nodes in one process, joined by the
// in-memory transport: the fixture of the controller and migration tests.
#pragma once

#include "Cluster.hpp"
#include "Service.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace nutest {

using namespace std::chrono_literals;

/// A controller and three nodes on one in-memory hub.
class ControlledCluster : public testing::Test {
protected:
  ControlledCluster() {
    nu::controller::ServiceOptions s;
    s.transport = "memory";
    s.transport_options.memory_hub = hub_;
    s.heartbeat = 20ms;
    s.core.heartbeat_timeout = 300ms;
    service_ = std::make_unique<nu::controller::Service>(s);
    address_ = *service_->listen("");
    for (int i = 0; i < 3; ++i)
      nodes_.push_back(std::make_unique<nu::detail::Node>(options()));
  }

  nu::detail::Node::Options options() {
    nu::detail::Node::Options o;
    o.workers = 2;
    o.call_timeout = 5s;
    o.transport = "memory";
    o.transport_options.memory_hub = hub_;
    o.controller = address_;
    o.migrate_drain = 300ms;
    return o;
  }
  nu::detail::Node &node(int i) { return *nodes_[i]; }

  std::shared_ptr<nu::net::MemoryHub> hub_ =
      std::make_shared<nu::net::MemoryHub>();
  std::unique_ptr<nu::controller::Service> service_;
  std::string address_;
  std::vector<std::unique_ptr<nu::detail::Node>> nodes_;
};

} // namespace nutest
