package io.tandem.control.config;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static io.tandem.control.config.ConfigFixtures.resource;
import static io.tandem.control.config.ConfigFixtures.set;
import static io.tandem.control.config.ConfigFixtures.tree;
import static org.junit.jupiter.api.Assertions.assertEquals;

class ConfigWriterTest
{
    @Test
    void shouldReadBackWhatItWrites()
    {
        final TandemConfig example = ConfigReader.parse(resource("example.json"));
        final TandemConfig minimal = ConfigReader.parse(ConfigReaderTest.MINIMAL);

        assertEquals(example, ConfigReader.parse(ConfigWriter.toJson(example)));
        assertEquals(minimal, ConfigReader.parse(ConfigWriter.toJson(minimal)));
        assertEquals(example.loadBalancer(),
            ConfigReader.parseLoadBalancer(ConfigWriter.toJson(example.loadBalancer())));
        assertEquals(example.loadBalancer().targetPools().get(2),
            ConfigReader.parseTargetPool(ConfigWriter.toJson(example.loadBalancer().targetPools().get(2))));
    }

    @Test
    void shouldWriteTheSameTextForEqualConfigurations()
    {
        final String canonical = ConfigWriter.toJson(ConfigReader.parse(resource("example.json")));
        assertEquals(canonical, ConfigWriter.toJson(ConfigReader.parse(canonical)));

        // Labels in another order, defaults spelled out or left out, an ignored read-only field: same text.
        final var tree = tree(resource("example.json"));
        set(tree, "/loadBalancer/labels", "{\"cost.center\": \"web-shop\", \"environment\": \"staging\"}");
        set(tree, "/loadBalancer/listeners/1/tcp", "{\"idleTimeout\": \"300.000s\"}");
        set(tree, "/loadBalancer/targetPools/0/activeHealthCheck", "null");
        set(tree, "/loadBalancer/status", "\"STATUS_READY\"");
        assertEquals(canonical, ConfigWriter.toJson(ConfigReader.parse(tree.toString())));
    }

    @Test
    void shouldSpellOutEveryDefault()
    {
        final String json = ConfigWriter.toJson(ConfigReader.parse(ConfigReaderTest.MINIMAL));
        assertEquals("""
            {
              "node": {
                "dataInterface": "eth1",
                "snatAddress": "198.18.0.200",
                "workers": 1,
                "adminSocket": "/run/tandem/admin.sock",
                "stateDirectory": "/var/lib/tandem",
                "countersFile": "/dev/shm/tandem-counters"
              },
              "loadBalancer": {
                "name": "lb",
                "externalAddress": "198.18.0.100",
                "planId": "p10",
                "labels": {},
                "listeners": [
                  {
                    "port": 80,
                    "protocol": "PROTOCOL_TCP",
                    "targetPool": "web",
                    "tcp": {
                      "idleTimeout": "300s"
                    }
                  }
                ],
                "targetPools": [
                  {
                    "name": "web",
                    "targetPort": 8080,
                    "targets": [
                      {
                        "displayName": "web-1",
                        "ip": "198.18.1.11"
                      }
                    ],
                    "activeHealthCheck": {
                      "interval": "5s",
                      "intervalJitter": "0s",
                      "timeout": "3s",
                      "healthyThreshold": 2,
                      "unhealthyThreshold": 3
                    },
                    "sessionPersistence": {
                      "useSourceIpAddress": false
                    }
                  }
                ],
                "options": {
                  "accessControl": {
                    "allowedSourceRanges": []
                  }
                }
              }
            }
            """, json);
    }

    @Test
    void shouldWriteLabelsSortedAndHealthChecksInTheApiTypes()
    {
        final var tree = tree(resource("example.json"));
        final String json = ConfigWriter.toJson(ConfigReader.parse(tree.toString()).loadBalancer());
        final var written = tree(json);
        assertEquals(List.of("cost.center", "environment"),
            written.get("labels").properties().stream().map(Map.Entry::getKey).toList());
        assertEquals("[\"200\",\"204\"]",
            written.at("/targetPools/1/activeHealthCheck/httpHealthChecks/okStatuses").toString());
        assertEquals(8008, written.at("/targetPools/2/activeHealthCheck/altPort").intValue());
        assertEquals("0.5s", written.at("/targetPools/1/activeHealthCheck/intervalJitter").textValue());
        assertEquals(Map.of("environment", "staging", "cost.center", "web-shop"),
            ConfigReader.parseLoadBalancer(json).labels());
    }
}
