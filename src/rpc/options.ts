/**
 * gRPC settings shared by every server and client of parajob.
 */
import type { ChannelOptions } from '@grpc/grpc-js';

/** Code snapshots and result batches can be large; 256 MiB keeps a sane upper bound. */
export const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

/**
 * Channel options for servers and clients. Keepalive pings detect a dead TCP connection (a machine
 * gone); a hung process is caught by application heartbeats instead.
 */
export const CHANNEL_OPTIONS: ChannelOptions = {
  'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 5_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.http2.min_ping_interval_without_data_ms': 5_000,
};

/** Deadline for unary calls (Submit may carry a large code snapshot). */
export const UNARY_DEADLINE_MS = 30_000;

/** A Date `ms` from now, for grpc-js `deadline` options. */
export function deadlineIn(ms: number = UNARY_DEADLINE_MS): Date {
  return new Date(Date.now() + ms);
}
