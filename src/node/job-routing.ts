/**
 * The node machine's transitions for what the coordinator says about a job (node.machine.ts is the
 * diagram): leases, revokes and releases go to the job they name when this node serves it, and the
 * outbox's lease book (held-leases.ts) follows what the job was given and what was taken back; for a
 * job not served here the node answers itself (leases handed back, a release answered with job_left).
 */
import { type CoordinatorEvent, notRunningJobLeft } from './coordinator-events.js';
import type { JobCommand } from './job/job.machine.js';

export type EventOf<T extends CoordinatorEvent['type']> = Extract<CoordinatorEvent, { readonly type: T }>;
export const jobIdOf = ({ event }: { event: { readonly jobId: string } }) => ({ jobId: event.jobId });
/** The action that hands what the coordinator said for a job this node serves to that job. */
const tellServedJob = <T extends CoordinatorEvent['type']>(command: (event: EventOf<T>) => JobCommand) =>
  ({
    type: 'tellJob',
    params: ({ event }: { event: EventOf<T> & { readonly jobId: string } }) => ({
      jobId: event.jobId,
      command: command(event),
    }),
  }) as const;
/** The transition that hands it over, guarded on the job being served here. */
const toServedJob = <T extends CoordinatorEvent['type']>(command: (event: EventOf<T>) => JobCommand) =>
  ({ guard: { type: 'servesJob', params: jobIdOf }, actions: tellServedJob(command) }) as const;

/**
 * Leases, revokes and releases go to their job; for a job not served here the node answers itself.
 * The outbox's lease book follows what the job was given and what was taken back (held-leases.ts).
 */
export const routeToJobs = {
  'coordinator.leases': [
    {
      guard: { type: 'servesJob', params: jobIdOf },
      actions: [
        tellServedJob<'coordinator.leases'>((event) => ({ type: 'lease.granted', leases: event.leases })),
        {
          type: 'holdLeases',
          params: ({ event }: { event: EventOf<'coordinator.leases'> }) => ({
            jobId: event.jobId,
            tokens: event.leases.map((lease) => lease.token),
          }),
        },
      ],
    },
    {
      actions: {
        type: 'returnUnservedLeases',
        params: ({ event }: { event: EventOf<'coordinator.leases'> }) => ({ jobId: event.jobId, leases: event.leases }),
      },
    },
  ],
  'coordinator.revoke': {
    guard: { type: 'servesJob', params: jobIdOf },
    actions: [
      tellServedJob<'coordinator.revoke'>((event) => ({ type: 'lease.revoke', token: event.token })),
      {
        type: 'settleLeases',
        params: ({ event }: { event: EventOf<'coordinator.revoke'> }) => ({
          jobId: event.jobId,
          tokens: [event.token],
        }),
      },
    ],
  },
  'coordinator.release': [
    toServedJob<'coordinator.release'>((event) => ({ type: 'job.release', reason: event.reason })),
    {
      actions: {
        type: 'send',
        params: ({ event }: { event: EventOf<'coordinator.release'> }) => ({ message: notRunningJobLeft(event.jobId) }),
      },
    },
  ],
} as const;
