/**
 * Expected failures are typed values with a stable code; bugs throw plain errors.
 * `retryable` tells a caller whether the same request may succeed later.
 */
export interface FieldIssue {
  /** JSON path of the failing field in the request, e.g. `beneficiary.account_number`. */
  readonly path: string;
  readonly message: string;
}

export class AppError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly options: { status?: number; retryable?: boolean; issues?: FieldIssue[]; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
  }
  get status(): number {
    return this.options.status ?? 400;
  }
  get retryable(): boolean {
    return this.options.retryable ?? false;
  }
  get issues(): FieldIssue[] {
    return this.options.issues ?? [];
  }
}

export class ValidationError extends AppError {
  constructor(issues: FieldIssue[], message = 'The request is not valid.') {
    super('validation_failed', message, { status: 422, issues });
    this.name = 'ValidationError';
  }
}
