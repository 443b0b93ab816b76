// An AWS error as the EC2 Query API reports it: a code from AWS's own list,
// a human message, and the HTTP status AWS uses for it. Rule modules return or
// throw these; the HTTP layer renders them as <Response><Errors>... XML.

export class Ec2Fault extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, message: string, status = 400) {
    super(message);
    this.name = "Ec2Fault";
    this.code = code;
    this.status = status;
  }
}

export function fault(code: string, message: string, status = 400): Ec2Fault {
  return new Ec2Fault(code, message, status);
}

export function isEc2Fault(e: unknown): e is Ec2Fault {
  return e instanceof Ec2Fault;
}
