/** model.AppError as the real server serializes it (detailed_error blanked, is_oauth only when true). */
export class AppError extends Error {
  constructor(
    readonly id: string,
    message: string,
    readonly statusCode: number,
    readonly where = '',
  ) {
    super(message);
  }

  toJSON(requestId = ''): Record<string, unknown> {
    return {
      id: this.id,
      message: this.message,
      detailed_error: '',
      request_id: requestId,
      status_code: this.statusCode,
    };
  }
}

export const errors = {
  sessionExpired: () =>
    new AppError('api.context.session_expired.app_error', 'Invalid or expired session, please login again.', 401),
  tokenProvided: () =>
    new AppError(
      'api.context.token_provided.app_error',
      'Session is not OAuth but token was provided in the query string.',
      401,
    ),
  permissions: () =>
    new AppError('api.context.permissions.app_error', 'You do not have the appropriate permissions.', 403),
  invalidUrlParam: (name: string) =>
    new AppError(
      'api.context.invalid_url_param.app_error',
      `Invalid or missing ${name} parameter in request URL.`,
      400,
    ),
  invalidBodyParam: (name: string) =>
    new AppError('api.context.invalid_body_param.app_error', `Invalid or missing ${name} in request body.`, 400),
  notFound404: () => new AppError('api.context.404.app_error', 'Sorry, we could not find the page.', 404),
  channelNotFound: () =>
    new AppError('app.channel.get.existing.app_error', 'Unable to find the existing channel.', 404),
  postNotFound: () => new AppError('app.post.get.app_error', 'Unable to get the post.', 404),
  userNotFound: () => new AppError('app.user.missing_account.const', 'Unable to find the user.', 404),
  teamNotFound: () => new AppError('app.team.get.find.app_error', 'Unable to find the existing team.', 404),
  fileNotFound: () => new AppError('app.file_info.get.app_error', 'Unable to get the file info.', 404),
  commandNotFound: () => new AppError('app.command.getcommand.app_error', 'Unable to get the command.', 404),
  botNotFound: () => new AppError('store.sql_bot.get.missing.app_error', 'Bot does not exist.', 404),
  internal: (message: string) => new AppError('api.context.internal.app_error', message, 500),
};
