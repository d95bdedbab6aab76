/** Avro schemas of the records on xmrec's topics and their Confluent-wire-format serde (streaming work). */
package io.xmrec.schemas;
